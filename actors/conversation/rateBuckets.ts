/** Token buckets per user (sends per second, burst = 2x). Bounded: idle full buckets are forgotten. */
export class RateBuckets {
  private buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly perSecond: number, private readonly now: () => number) {}

  take(key: string): boolean {
    const now = this.now();
    const cap = this.perSecond * 2;
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size > 10_000) this.sweep(now, cap);
      b = { tokens: cap, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(cap, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private sweep(now: number, cap: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= cap) this.buckets.delete(k);
  }
}
