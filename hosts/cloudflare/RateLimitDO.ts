/**
 * One rate-limit key per Durable Object (idFromName(key)): a token bucket that every isolate and
 * every location shares, because they all reach the same object. Chosen over Cloudflare's rate
 * limiting binding, whose counters are per location and eventually consistent: a limit here holds
 * exactly, worldwide, at the cost of one round trip to the key's object per limited request
 * (per-user objects sit at the user's home, per-IP objects near the client's first request).
 *
 * The bucket is kept in the object's storage as well as in memory, so an object evicted between
 * requests does not hand out a fresh bucket.
 */
import { DurableObject } from "cloudflare:workers";
import type { DoEnv } from "./doEnv.ts";
import type { RateLimitRpc } from "./rateLimitRpc.ts";

interface Bucket {
  tokens: number;
  at: number;
}

const KEY = "bucket";

export class RateLimitDO extends DurableObject<DoEnv> implements RateLimitRpc {
  private bucket: Bucket | undefined;

  async take(perMinute: number): Promise<boolean> {
    if (!Number.isFinite(perMinute) || perMinute < 1) throw new Error("perMinute must be >= 1");
    const now = Date.now();
    const b = (this.bucket ??= await this.ctx.storage.get<Bucket>(KEY));
    // Same refill rule as edge/limit/memoryRateLimiter.ts: perMinute tokens, refilled continuously.
    let tokens = b ? Math.min(perMinute, b.tokens + ((now - b.at) / 60_000) * perMinute) : perMinute;
    const allowed = tokens >= 1;
    if (allowed) tokens -= 1;
    this.bucket = { tokens, at: now };
    // Not awaited: the output gate holds the answer until the write is durable, and requests to this
    // object still run one after another on the in-memory bucket.
    void this.ctx.storage.put(KEY, this.bucket);
    return allowed;
  }
}
