/**
 * Token-bucket rate limiter in memory (one node). Each key holds `perMinute` tokens refilled
 * continuously. Memory is bounded: the Map is kept in least-recently-used order and the oldest keys
 * are evicted past `maxKeys` (an evicted key just starts again with a full bucket).
 */
import type { RateLimiter } from "../host.ts";

export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly maxKeys = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  async take(key: string, perMinute: number): Promise<boolean> {
    return this.takeSync(key, perMinute);
  }

  takeSync(key: string, perMinute: number): boolean {
    const now = this.now();
    const b = this.buckets.get(key);
    let tokens = perMinute;
    if (b) {
      tokens = Math.min(perMinute, b.tokens + ((now - b.at) / 60_000) * perMinute);
      this.buckets.delete(key); // re-inserted below: most recently used goes last
    }
    const allowed = tokens >= 1;
    this.buckets.set(key, { tokens: allowed ? tokens - 1 : tokens, at: now });
    while (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    return allowed;
  }

  get size(): number {
    return this.buckets.size;
  }
}
