/**
 * A per-key byte quota over a rolling hour (attachment uploads): a token bucket holding at most
 * `perHour` bytes, refilled continuously at `perHour` per hour. In memory, like MemoryRateLimiter:
 * per process on Bun, per node in a cluster, per isolate on Cloudflare (docs/operations.md says so).
 * The Map is kept in least-recently-used order and bounded; an evicted key starts with a full bucket.
 */
const HOUR_MS = 3_600_000;

export class ByteQuota {
  private readonly buckets = new Map<string, { bytes: number; at: number }>();

  constructor(
    private readonly perHour: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes `bytes` from `key`'s allowance: 0 when allowed, else the ms until they would fit
   *  (nothing is taken then). */
  take(key: string, bytes: number): number {
    const now = this.now();
    const b = this.buckets.get(key);
    let left = this.perHour;
    if (b) {
      left = Math.min(this.perHour, b.bytes + ((now - b.at) / HOUR_MS) * this.perHour);
      this.buckets.delete(key); // re-inserted below: most recently used goes last
    }
    const allowed = bytes <= left;
    this.buckets.set(key, { bytes: allowed ? left - bytes : left, at: now });
    while (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    return allowed ? 0 : Math.ceil(((bytes - left) / this.perHour) * HOUR_MS);
  }
}
