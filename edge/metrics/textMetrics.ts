/**
 * Dependency-free metrics in Prometheus text format, for workerd (where prom-client does not
 * bundle). Same MetricsRegistry interface as promMetrics; no process metrics (there is no process).
 * Values are per isolate, which is what a Worker can honestly report.
 */
import { HTTP_BUCKETS, type CounterHandle, type GaugeHandle, type HistogramHandle, type Labels, type MetricsRegistry } from "./registry.ts";

type Kind = "counter" | "gauge" | "histogram";
interface Family {
  kind: Kind;
  help: string;
  buckets: number[];
  /** label string → value (counter/gauge) or [bucket counts..., sum, count] (histogram). */
  series: Map<string, number[]>;
  collect?: () => number | Promise<number>;
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const labelString = (labels: Labels) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabel(String(labels[k]))}"`)
    .join(",");
const withLabels = (name: string, ls: string, extra?: string) => {
  const all = [ls, extra].filter(Boolean).join(",");
  return all ? `${name}{${all}}` : name;
};

export class TextMetrics implements MetricsRegistry {
  private readonly families = new Map<string, Family>();
  private readonly requests = this.counter("http_requests_total", "HTTP requests by route pattern");
  private readonly duration = this.histogram("http_request_duration_seconds", "HTTP request duration by route pattern");

  httpRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
  }

  counter(name: string, help: string): CounterHandle {
    const f = this.family(name, "counter", help);
    return { inc: (labels = {}, value = 1) => this.add(f, labels, value) };
  }

  gauge(name: string, help: string, _labelNames?: string[], collect?: () => number | Promise<number>): GaugeHandle {
    const f = this.family(name, "gauge", help);
    if (collect) f.collect = collect;
    return {
      set: (labels, value) => void f.series.set(labelString(labels), [value]),
      inc: (labels = {}, value = 1) => this.add(f, labels, value),
      dec: (labels = {}, value = 1) => this.add(f, labels, -value),
    };
  }

  histogram(name: string, help: string, _labelNames?: string[], buckets: number[] = HTTP_BUCKETS): HistogramHandle {
    const f = this.family(name, "histogram", help, [...buckets].sort((a, b) => a - b));
    return {
      observe: (labels, value) => {
        const key = labelString(labels);
        let s = f.series.get(key);
        if (!s) f.series.set(key, (s = new Array(f.buckets.length + 2).fill(0)));
        f.buckets.forEach((b, i) => value <= b && s![i]!++);
        s[f.buckets.length]! += value;
        s[f.buckets.length + 1]!++;
      },
    };
  }

  async render(): Promise<{ body: string; contentType: string }> {
    const out: string[] = [];
    for (const [name, f] of this.families) {
      if (f.collect) f.series.set("", [await f.collect()]);
      out.push(`# HELP ${name} ${f.help.replace(/\n/g, " ")}`, `# TYPE ${name} ${f.kind}`);
      for (const [ls, v] of f.series) {
        if (f.kind !== "histogram") {
          out.push(`${withLabels(name, ls)} ${v[0]}`);
          continue;
        }
        f.buckets.forEach((b, i) => out.push(`${withLabels(name + "_bucket", ls, `le="${b}"`)} ${v[i]}`));
        const count = v[f.buckets.length + 1];
        out.push(`${withLabels(name + "_bucket", ls, 'le="+Inf"')} ${count}`);
        out.push(`${withLabels(name + "_sum", ls)} ${v[f.buckets.length]}`, `${withLabels(name + "_count", ls)} ${count}`);
      }
    }
    return { body: out.join("\n") + "\n", contentType: "text/plain; version=0.0.4; charset=utf-8" };
  }

  private family(name: string, kind: Kind, help: string, buckets: number[] = []): Family {
    let f = this.families.get(name);
    if (!f) this.families.set(name, (f = { kind, help, buckets, series: new Map() }));
    return f;
  }

  private add(f: Family, labels: Labels, value: number) {
    const key = labelString(labels);
    const s = f.series.get(key);
    if (s) s[0]! += value;
    else f.series.set(key, [value]);
  }
}
