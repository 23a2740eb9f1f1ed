/**
 * RedisRateLimiter against a real redis-server: one budget shared by two "nodes", refill like
 * MemoryRateLimiter, and what happens when Redis is slow or gone (per-node fallback, one warning).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Redis } from "ioredis";
import { RedisRateLimiter } from "../../hosts/cluster/redisRateLimiter.ts";
import { MemoryRateLimiter } from "../../edge/limit/memoryRateLimiter.ts";
import { startRedis, type RunningServer } from "../support/servers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: RunningServer;
const clients: Redis[] = [];

async function client(url = server.url): Promise<Redis> {
  const r = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  r.on("error", () => {}); // expected while a server is down
  clients.push(r);
  if (r.status !== "ready") await new Promise((ok) => r.once("ready", ok));
  return r;
}

async function countAllowed(takes: Promise<boolean>[]): Promise<number> {
  return (await Promise.all(takes)).filter(Boolean).length;
}

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server?.stop();
}, 30_000); // stopping a server may take its 5 s grace

describe("RedisRateLimiter", () => {
  test("two nodes share one budget per key", async () => {
    const a = new RedisRateLimiter(await client(), { prefix: "t1" });
    const b = new RedisRateLimiter(await client(), { prefix: "t1" });
    let allowed = 0;
    for (let i = 0; i < 20; i++) if (await (i % 2 ? a : b).take("login:1.2.3.4", 10)) allowed++;
    expect(allowed).toBe(10);
    // concurrent takes from both nodes: still exactly the budget
    const takes: Promise<boolean>[] = [];
    for (let i = 0; i < 60; i++) takes.push((i % 2 ? a : b).take("burst", 25));
    expect(await countAllowed(takes)).toBe(25);
    // keys and prefixes are separate budgets
    expect(await a.take("login:5.6.7.8", 10)).toBe(true);
    const other = new RedisRateLimiter(await client(), { prefix: "t1-other" });
    expect(await other.take("login:1.2.3.4", 10)).toBe(true);
    expect(await a.take("zero", 0)).toBe(false);
  });

  test("refills continuously like MemoryRateLimiter (same answers for the same clock)", async () => {
    let now = 1_700_000_000_000;
    const clock = () => now;
    const redis = new RedisRateLimiter(await client(), { prefix: "t2", now: clock });
    const memory = new MemoryRateLimiter(1000, clock);
    const both = async (key: string, perMinute: number) => {
      const [r, m] = [await redis.take(key, perMinute), await memory.take(key, perMinute)];
      expect(r).toBe(m);
      return r;
    };
    for (let i = 0; i < 6; i++) expect(await both("k", 6)).toBe(true);
    expect(await both("k", 6)).toBe(false);
    now += 9_000; // 0.9 token
    expect(await both("k", 6)).toBe(false);
    now += 2_000; // 1.1 tokens
    expect(await both("k", 6)).toBe(true);
    expect(await both("k", 6)).toBe(false);
    now += 10 * 60_000; // long idle: full bucket, never more than perMinute
    let allowed = 0;
    for (let i = 0; i < 10; i++) if (await both("k", 6)) allowed++;
    expect(allowed).toBe(6);
  });

  test("with Redis time: the window resets, and idle keys expire", async () => {
    const r = await client();
    const lim = new RedisRateLimiter(r, { prefix: "t3" });
    let allowed = 0;
    for (let i = 0; i < 130; i++) if (await lim.take("k", 120)) allowed++; // 2 tokens/s
    expect(allowed).toBe(120);
    expect(await lim.take("k", 120)).toBe(false);
    await sleep(1100);
    expect(await lim.take("k", 120)).toBe(true);
    const pttl = await r.pttl("t3:k");
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(61_000);
  });

  test("Redis slow: answers within the timeout from the per-node fallback, then Redis again", async () => {
    const warnings: string[] = [];
    const r = await client();
    const lim = new RedisRateLimiter(r, { prefix: "t4", timeoutMs: 100, warn: (m) => warnings.push(m) });
    expect(await lim.take("k", 2)).toBe(true); // Redis: 1 token left
    const admin = await client();
    await admin.call("CLIENT", "PAUSE", "700", "ALL");
    const t0 = Date.now();
    expect(await lim.take("k", 2)).toBe(true); // fallback: its own fresh bucket of 2
    expect(Date.now() - t0).toBeLessThan(400);
    expect(await lim.take("k", 2)).toBe(true);
    expect(await lim.take("k", 2)).toBe(false); // still limited, per node
    expect(warnings.length).toBe(1);
    await sleep(800);
    // the paused commands ran late (spending the Redis bucket); Redis answers again
    expect(await lim.take("k", 2)).toBe(false);
    expect(await lim.take("other", 2)).toBe(true);
  });

  test("Redis down: neither unlimited nor failing; one warning a minute", async () => {
    const own = await startRedis();
    try {
      const warnings: string[] = [];
      const lim = new RedisRateLimiter(await client(own.url), { prefix: "t5", warn: (m) => warnings.push(m) });
      expect(await lim.take("k", 3)).toBe(true);
      await own.proc.kill();
      const t0 = Date.now();
      const results: boolean[] = [];
      for (let i = 0; i < 10; i++) results.push(await lim.take("k", 3));
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(results.filter(Boolean).length).toBe(3); // the local bucket of 3
      expect(results.slice(3).every((x) => !x)).toBe(true);
      expect(warnings.length).toBe(1);
      expect(warnings[0]).toContain("Redis unavailable");
    } finally {
      await own.stop();
    }
  });
});
