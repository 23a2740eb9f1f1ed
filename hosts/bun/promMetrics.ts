/**
 * Metrics on Bun/Node with prom-client: http_requests_total and http_request_duration_seconds by
 * method, route pattern and status, default process metrics, and a registry other modules extend.
 * prom-client does not bundle for workerd; the Cloudflare entry uses textMetrics.ts instead.
 */
import client from "prom-client";
import { HTTP_BUCKETS, type CounterHandle, type GaugeHandle, type HistogramHandle, type Labels, type MetricsRegistry } from "../../edge/metrics/registry.ts";

/** How often the event-loop lag histogram samples (nodejs_eventloop_lag_*). prom-client's default,
 *  10 ms, is a native timer that woke the main thread ~100 times a second on an idle node: over half
 *  of its wake-ups and CPU while holding 10k idle sockets (issue #21). Once a second still shows a
 *  loop that stalls; the percentiles come from fewer samples. */
const LAG_SAMPLE_MS = 1000;

export class PromMetrics implements MetricsRegistry {
  readonly registry = new client.Registry();
  private readonly requests: client.Counter<string>;
  private readonly duration: client.Histogram<string>;

  constructor(opts: { defaultMetrics?: boolean; prefix?: string } = {}) {
    if (opts.defaultMetrics ?? true)
      client.collectDefaultMetrics({ register: this.registry, prefix: opts.prefix, eventLoopMonitoringPrecision: LAG_SAMPLE_MS });
    const labelNames = ["method", "route", "status"];
    this.requests = this.existing("http_requests_total") ??
      new client.Counter({ name: "http_requests_total", help: "HTTP requests by route pattern", labelNames, registers: [this.registry] });
    this.duration = this.existing("http_request_duration_seconds") ??
      new client.Histogram({
        name: "http_request_duration_seconds",
        help: "HTTP request duration by route pattern",
        labelNames,
        buckets: HTTP_BUCKETS,
        registers: [this.registry],
      });
  }

  httpRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
  }

  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }

  counter(name: string, help: string, labelNames: string[] = []): CounterHandle {
    const c = this.existing<client.Counter<string>>(name) ?? new client.Counter({ name, help, labelNames, registers: [this.registry] });
    return { inc: (labels: Labels = {}, value = 1) => c.inc(labels, value) };
  }

  gauge(name: string, help: string, labelNames: string[] = [], collect?: () => number | Promise<number>): GaugeHandle {
    const g =
      this.existing<client.Gauge<string>>(name) ??
      new client.Gauge({
        name,
        help,
        labelNames,
        registers: [this.registry],
        ...(collect ? { async collect(this: client.Gauge<string>) { this.set(await collect()); } } : {}),
      });
    return {
      set: (labels, value) => g.set(labels, value),
      inc: (labels = {}, value = 1) => g.inc(labels, value),
      dec: (labels = {}, value = 1) => g.dec(labels, value),
    };
  }

  histogram(name: string, help: string, labelNames: string[] = [], buckets: number[] = HTTP_BUCKETS): HistogramHandle {
    const h = this.existing<client.Histogram<string>>(name) ?? new client.Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
    return { observe: (labels, value) => h.observe(labels, value) };
  }

  private existing<T>(name: string): T | undefined {
    return this.registry.getSingleMetric(name) as T | undefined;
  }
}
