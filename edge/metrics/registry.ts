/**
 * What other modules may register on the edge's metrics, beyond the request metrics that
 * deps.metrics (edge/host.ts `Metrics`) records. Implemented by promMetrics (Bun, prom-client) and
 * textMetrics (Cloudflare, dependency-free). Registering the same name twice returns the first one.
 */
import type { Metrics } from "../host.ts";

export type Labels = Record<string, string | number>;

export interface CounterHandle {
  inc(labels?: Labels, value?: number): void;
}
export interface GaugeHandle {
  set(labels: Labels, value: number): void;
  inc(labels?: Labels, value?: number): void;
  dec(labels?: Labels, value?: number): void;
}
export interface HistogramHandle {
  observe(labels: Labels, value: number): void;
}

export interface MetricsRegistry extends Metrics {
  counter(name: string, help: string, labelNames?: string[]): CounterHandle;
  /** `collect`, when given, is called at scrape time to set a label-less value. */
  gauge(name: string, help: string, labelNames?: string[], collect?: () => number | Promise<number>): GaugeHandle;
  histogram(name: string, help: string, labelNames?: string[], buckets?: number[]): HistogramHandle;
}

/** Seconds buckets for HTTP latency: 1 ms … 10 s. */
export const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
