/**
 * Mergeable latency histogram (HDR-style: log2 major buckets, 64 linear sub-buckets each, so any
 * recorded value is within ~1.6% of its bucket). Values are microseconds. Workers record into one,
 * ship it to the coordinator as a sparse object, and the coordinator merges them before reading
 * percentiles: exact per-sample arrays would not fit at a million deliveries per second.
 */
const SUB = 64;
const SUB_BITS = 6;
const MAX_MAJOR = 40;

function bucketOf(us: number): number {
  const v = Math.max(0, Math.floor(us));
  if (v < SUB) return v;
  const major = 31 - Math.clz32(v) - SUB_BITS + 1; // >= 1
  const sub = Math.floor(v / 2 ** (major - 1));
  return Math.min(major, MAX_MAJOR) * SUB + (sub & (SUB - 1));
}

function valueOf(bucket: number): number {
  const major = Math.floor(bucket / SUB);
  const sub = bucket % SUB;
  if (major === 0) return sub;
  // Upper edge of the bucket, so percentiles never under-report.
  return ((SUB + sub + 1) * 2 ** (major - 1)) - 1;
}

export type HistogramJson = { counts: Record<string, number>; max: number; sum: number; n: number };

export class Histogram {
  private counts = new Float64Array((MAX_MAJOR + 1) * SUB);
  n = 0;
  sum = 0;
  max = 0;

  record(us: number): void {
    this.counts[bucketOf(us)]!++;
    this.n++;
    this.sum += us;
    if (us > this.max) this.max = us;
  }

  merge(other: Histogram | HistogramJson): void {
    if (other instanceof Histogram) {
      for (let i = 0; i < other.counts.length; i++) this.counts[i]! += other.counts[i]!;
    } else {
      for (const [k, c] of Object.entries(other.counts)) this.counts[Number(k)]! += c;
    }
    this.n += other.n;
    this.sum += other.sum;
    this.max = Math.max(this.max, other.max);
  }

  /** Value (µs) at quantile q in [0,1]; 0 when empty. */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(valueOf(i), this.max);
    }
    return this.max;
  }

  toJSON(): HistogramJson {
    const counts: Record<string, number> = {};
    for (let i = 0; i < this.counts.length; i++) if (this.counts[i]) counts[i] = this.counts[i]!;
    return { counts, max: this.max, sum: this.sum, n: this.n };
  }

  static from(json: HistogramJson): Histogram {
    const h = new Histogram();
    h.merge(json);
    return h;
  }
}

/** Summary in milliseconds, the unit every report uses. */
export function latencySummary(h: Histogram) {
  const ms = (us: number) => Math.round(us / 10) / 100;
  return {
    samples: h.n,
    p50: ms(h.quantile(0.5)),
    p95: ms(h.quantile(0.95)),
    p99: ms(h.quantile(0.99)),
    max: ms(h.max),
    mean: h.n ? ms(h.sum / h.n) : 0,
  };
}
export type LatencySummary = ReturnType<typeof latencySummary>;
