/** The small pieces on their own: password hashing, rate limiter, disk blob store, text metrics. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ScryptHasher } from "../../hosts/shared/scryptPasswords.ts";
import { DiskBlobStore } from "../../hosts/bun/diskBlobStore.ts";
import { MemoryRateLimiter } from "../../edge/limit/memoryRateLimiter.ts";
import { PromMetrics } from "../../hosts/bun/promMetrics.ts";
import { TextMetrics } from "../../edge/metrics/textMetrics.ts";

describe("ScryptHasher", () => {
  const hasher = new ScryptHasher();
  test("verifies the right password only; salts differ", async () => {
    const a = await hasher.hash("hunter2 hunter2");
    const b = await hasher.hash("hunter2 hunter2");
    expect(a).not.toBe(b);
    expect(await hasher.verify("hunter2 hunter2", a)).toBe(true);
    expect(await hasher.verify("hunter2 hunter3", a)).toBe(false);
    expect(await hasher.verify("hunter2 hunter2", "garbage")).toBe(false);
    expect(await hasher.verify("x", "scrypt$1073741824$8$1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAA")).toBe(false);
  });
});

describe("MemoryRateLimiter", () => {
  test("allows perMinute then refuses, refills over time", async () => {
    const clock = { t: 0 };
    const l = new MemoryRateLimiter(1000, () => clock.t);
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await l.take("k", 3));
    expect(got).toEqual([true, true, true, false]);
    clock.t += 20_000; // one token at 3/min
    expect(await l.take("k", 3)).toBe(true);
    expect(await l.take("k", 3)).toBe(false);
  });
  test("memory is bounded: oldest keys are evicted", async () => {
    const l = new MemoryRateLimiter(100);
    for (let i = 0; i < 1000; i++) await l.take(`ip-${i}`, 10);
    expect(l.size).toBe(100);
  });
});

describe("DiskBlobStore", () => {
  let dir: string;
  afterAll(async () => rm(dir, { recursive: true, force: true }));
  test("put/get/delete round trip; unsafe keys refused", async () => {
    dir = await mkdtemp(join(tmpdir(), "nexus-blobs-"));
    const store = new DiskBlobStore(join(dir, "attachments"));
    const data = new TextEncoder().encode("hello blob");
    await store.put("c_abcdef/a_123", data, "text/plain");
    const got = await store.get("c_abcdef/a_123");
    expect(got).not.toBeNull();
    expect(got!.size).toBe(data.byteLength);
    expect(got!.contentType).toBe("text/plain");
    expect(await new Response(got!.body as ReadableStream).text()).toBe("hello blob");
    expect(await store.get("c_abcdef/missing")).toBeNull();
    // No temp files left behind.
    expect((await readdir(join(dir, "attachments", "blobs", "c_abcdef"))).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    await store.delete("c_abcdef/a_123");
    expect(await store.get("c_abcdef/a_123")).toBeNull();
    for (const key of ["../etc/passwd", "a/../../b", ".hidden", "a//b", "/abs", "a\\b", ""])
      await expect(store.put(key, data, "text/plain")).rejects.toThrow("unsafe blob key");
  });
});

describe("metrics", () => {
  test("TextMetrics renders Prometheus text with cumulative buckets and escaped labels", async () => {
    const m = new TextMetrics();
    m.httpRequest("GET", "/v1/me", 200, 0.003);
    m.httpRequest("GET", "/v1/me", 200, 0.2);
    m.counter("nexus_sends_total", "sends").inc({ conv: 'a"b' }, 2);
    m.gauge("nexus_sockets", "open sockets", [], () => 7);
    const { body, contentType } = await m.render();
    expect(contentType).toContain("text/plain");
    expect(body).toContain("# TYPE http_requests_total counter");
    expect(body).toContain('http_requests_total{method="GET",route="/v1/me",status="200"} 2');
    expect(body).toContain('http_request_duration_seconds_bucket{method="GET",route="/v1/me",status="200",le="0.005"} 1');
    expect(body).toContain('http_request_duration_seconds_bucket{method="GET",route="/v1/me",status="200",le="+Inf"} 2');
    expect(body).toContain('nexus_sends_total{conv="a\\"b"} 2');
    expect(body).toContain("nexus_sockets 7");
  });
  test("PromMetrics: other modules register counters/gauges; same name twice is the same metric", async () => {
    const m = new PromMetrics({ defaultMetrics: false });
    m.counter("nexus_x_total", "x", ["k"]).inc({ k: "a" });
    m.counter("nexus_x_total", "x", ["k"]).inc({ k: "a" });
    m.gauge("nexus_g", "g", [], () => 3);
    const { body } = await m.render();
    expect(body).toContain('nexus_x_total{k="a"} 2');
    expect(body).toContain("nexus_g 3");
  });
});
