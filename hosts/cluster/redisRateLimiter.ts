/**
 * Token-bucket rate limiter shared by every node of a region through its Redis (cluster mode).
 * Same semantics as MemoryRateLimiter: each key holds `perMinute` tokens refilled continuously, one
 * token per take. One Lua script per take (one round trip, atomic), keys under a prefix, each key
 * expiring once its bucket would be full again (so idle keys cost nothing).
 * Time comes from Redis (`TIME`) so nodes with skewed clocks share one refill rate (needs Redis >= 5,
 * whose scripts replicate effects, so a write after TIME is allowed). Keys use no hash tag: one
 * Redis per region, or Redis Cluster (each take touches one key).
 *
 * When Redis fails or is slow (over `timeoutMs`), we neither let traffic through unlimited nor fail
 * the request: the take falls back to a per-node MemoryRateLimiter (limits hold per node, i.e. at
 * most N x the limit over N nodes) and a console.warn says so at most once a minute. While the
 * client is not connected we do not even queue the command (ioredis would hold it until reconnect).
 * Plain TypeScript (ioredis), no Bun-only APIs.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { RateLimiter } from "../../edge/host.ts";
import { MemoryRateLimiter } from "../../edge/limit/memoryRateLimiter.ts";

export interface RedisRateLimiterOptions {
  /** Key prefix; default "nexus:rl". */
  prefix?: string;
  /** Give up on Redis after this long and use the local fallback; default 250 ms. */
  timeoutMs?: number;
  /** Clock in ms for tests; default: Redis server time. */
  now?: () => number;
  /** Local fallback used while Redis is unavailable; default a MemoryRateLimiter. */
  fallback?: RateLimiter;
  /** Where the once-a-minute warning goes; default console.warn. */
  warn?: (message: string) => void;
}

/** KEYS[1] bucket; ARGV[1] perMinute, ARGV[2] now ms or -1 for Redis TIME. Returns 1 allowed, 0 denied. */
const TAKE = `
local rate = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local tokens = rate
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
if b[1] then
  local elapsed = now - tonumber(b[2])
  if elapsed < 0 then elapsed = 0 end
  tokens = math.min(rate, tonumber(b[1]) + elapsed / 60000 * rate)
end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%d', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((rate - tokens) / rate * 60000) + 1000)
return allowed`;

const TAKE_SHA = createHash("sha1").update(TAKE).digest("hex");

export class RedisRateLimiter implements RateLimiter {
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly fallback: RateLimiter;
  private readonly warn: (message: string) => void;
  private lastWarn = -Infinity;

  constructor(
    private readonly redis: Redis,
    private readonly opts: RedisRateLimiterOptions = {},
  ) {
    this.prefix = opts.prefix ?? "nexus:rl";
    this.timeoutMs = opts.timeoutMs ?? 250;
    this.fallback = opts.fallback ?? new MemoryRateLimiter();
    this.warn = opts.warn ?? ((m) => console.warn(m));
  }

  async take(key: string, perMinute: number): Promise<boolean> {
    if (!(perMinute > 0)) return false; // as MemoryRateLimiter: a bucket of 0 tokens never allows
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      if (this.redis.status !== "ready") throw new Error(`connection ${this.redis.status}`);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      });
      const allowed = await Promise.race([this.run(`${this.prefix}:${key}`, perMinute), timeout]);
      return allowed === 1;
    } catch (err) {
      this.warnOnce(err);
      return this.fallback.take(key, perMinute);
    } finally {
      clearTimeout(timer);
    }
  }

  private async run(redisKey: string, perMinute: number): Promise<unknown> {
    const now = this.opts.now ? Math.floor(this.opts.now()) : -1;
    try {
      return await this.redis.evalsha(TAKE_SHA, 1, redisKey, perMinute, now);
    } catch (err) {
      if (!String((err as Error)?.message).includes("NOSCRIPT")) throw err;
      return this.redis.eval(TAKE, 1, redisKey, perMinute, now);
    }
  }

  private warnOnce(err: unknown): void {
    const now = Date.now();
    if (now - this.lastWarn < 60_000) return;
    this.lastWarn = now;
    this.warn(`RedisRateLimiter: Redis unavailable (${(err as Error)?.message ?? err}); limiting per node until it is back`);
  }
}
