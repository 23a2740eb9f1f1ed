/** Cross-cutting HTTP behaviour: security headers, CORS allowlist, rate limits, body caps, ops routes. */
import { afterEach, describe, expect, test } from "bun:test";
import { call, makeHarness, register, type Harness } from "./harness.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("security headers", () => {
  test("present on JSON, error and 404 responses; HSTS only on https", async () => {
    h = await makeHarness();
    for (const path of ["/health", "/v1/me", "/nope"]) {
      const r = await h.app.request(path);
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
      expect(r.headers.get("x-frame-options")).toBe("DENY");
      expect(r.headers.get("referrer-policy")).toBe("no-referrer");
      const csp = r.headers.get("content-security-policy")!;
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("connect-src 'self'; ");
      expect(csp).toContain("img-src 'self' blob: data:");
      expect(r.headers.get("strict-transport-security")).toBeNull();
    }
    const https = await h.app.request("https://chat.example.com/health");
    expect(https.headers.get("strict-transport-security")).toContain("max-age=");
  });
});

describe("CORS", () => {
  test("no origins configured: no CORS headers for anyone", async () => {
    h = await makeHarness();
    const r = await h.app.request("/health", { headers: { origin: "https://evil.example" } });
    expect(r.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("allowlisted origin gets headers and preflight; others get none", async () => {
    h = await makeHarness({ CORS_ORIGINS: "https://app.example.com, https://other.example.com/" });
    const ok = await h.app.request("/health", { headers: { origin: "https://app.example.com" } });
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const trailing = await h.app.request("/health", { headers: { origin: "https://other.example.com" } });
    expect(trailing.headers.get("access-control-allow-origin")).toBe("https://other.example.com");
    const pre = await h.app.request("/v1/auth/login", {
      method: "OPTIONS",
      headers: { origin: "https://app.example.com", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(pre.headers.get("access-control-allow-headers")).toContain("Authorization");
    const evil = await h.app.request("/health", { headers: { origin: "https://evil.example" } });
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("rate limits", () => {
  test("auth routes: per-IP limit → 429 rate_limited with Retry-After; nothing created past the limit", async () => {
    h = await makeHarness({ AUTH_RATE_LIMIT_PER_MINUTE: "3" });
    // Three names: three failures on one name from one address would lock it (423, loginThrottle.ts).
    for (let i = 0; i < 3; i++)
      expect((await call(h, "POST", "/v1/auth/login", { body: { username: `ghost${i}`, password: "whatever1" } })).status).toBe(401);
    const r = await call(h, "POST", "/v1/auth/register", { body: { username: "carol", password: "long enough pw" } });
    expect(r.status).toBe(429);
    expect(r.body.error.code).toBe("rate_limited");
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await h.userCount()).toBe(0);
  });

  test("per-user REST limit → 429, other users unaffected", async () => {
    h = await makeHarness({ RATE_LIMIT_PER_MINUTE: "5" });
    const a = await register(h, "alice");
    const b = await register(h, "bob");
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await call(h, "GET", "/v1/me", { token: a.accessToken })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await call(h, "GET", "/v1/me", { token: b.accessToken })).status).toBe(200);
  });

  test("behind a trusted proxy header, IPs are limited separately", async () => {
    h = await makeHarness({ AUTH_RATE_LIMIT_PER_MINUTE: "1", TRUSTED_IP_HEADER: "X-Forwarded-For" });
    const login = (ip: string) =>
      call(h!, "POST", "/v1/auth/login", { body: { username: "ghost", password: "whatever1" }, headers: { "x-forwarded-for": `spoofed, ${ip}` } });
    expect((await login("10.0.0.1")).status).toBe(401);
    expect((await login("10.0.0.1")).status).toBe(429);
    expect((await login("10.0.0.2")).status).toBe(401);
  });
});

describe("body limits", () => {
  test("JSON over the cap → 413 payload_too_large, no user created", async () => {
    h = await makeHarness({ BODY_LIMIT_BYTES: "1024" });
    const r = await call(h, "POST", "/v1/auth/register", { body: { username: "carol", password: "p".repeat(200), pad: "x".repeat(2000) } });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe("payload_too_large");
    expect(await h.userCount()).toBe(0);
  });
});

describe("ops routes", () => {
  test("/health, /ready ok, /metrics has request counters by route pattern", async () => {
    h = await makeHarness({ METRICS_TOKEN: "metrics-token-0123456789" });
    const a = await register(h, "alice");
    await call(h, "GET", `/v1/users/by-name/alice`, { token: a.accessToken });
    await call(h, "GET", "/no/such/path");
    expect((await call(h, "GET", "/health")).body).toEqual({ ok: true });
    const ready = await call(h, "GET", "/ready");
    expect(ready.status).toBe(200);
    const m = await h.app.request("/metrics", { headers: { authorization: "Bearer metrics-token-0123456789" } });
    expect(m.status).toBe(200);
    expect(m.headers.get("content-type")).toContain("text/plain");
    const text = await m.text();
    expect(text).toContain('http_requests_total{method="POST",route="/v1/auth/register",status="201"} 1');
    expect(text).toContain('route="/v1/users/by-name/:username"');
    expect(text).toContain('route="unmatched",status="404"');
    expect(text).toContain("http_request_duration_seconds_bucket");
    expect(text).toContain("process_cpu_user_seconds_total");
  });

  test("/ready when storage is down: 200 degraded (the node still serves reads), 503 storage_unavailable with ?strict=1", async () => {
    h = await makeHarness({}, { ready: async () => { throw new Error("db gone"); } });
    const r = await call(h, "GET", "/ready");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true, degraded: true, storage: "unreachable" });
    const strict = await call(h, "GET", "/ready?strict=1");
    expect(strict.status).toBe(503);
    expect(strict.body.error.code).toBe("storage_unavailable");
  });

  test("unknown /v1 route without a token → 401 (auth by default), with a token → 404 not_found", async () => {
    h = await makeHarness();
    const a = await register(h, "alice");
    expect((await call(h, "GET", "/v1/nothing-here")).status).toBe(401);
    const r = await call(h, "GET", "/v1/nothing-here", { token: a.accessToken });
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe("not_found");
  });
});

describe("over a real Bun server", () => {
  test("per-IP auth limit keys on the socket address; full register → me flow works", async () => {
    h = await makeHarness({ AUTH_RATE_LIMIT_PER_MINUTE: "2" });
    const app = h.app;
    // Same call shape as hosts/bun/startNode.ts: the server under `server` in Hono's env.
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req, srv) => app.fetch(req, { server: srv }) });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const reg = await fetch(`${base}/v1/auth/register`, { method: "POST", body: JSON.stringify({ username: "alice", password: "long enough pw" }), headers: { "content-type": "application/json" } });
      expect(reg.status).toBe(201);
      const { accessToken } = (await reg.json()) as any;
      const me = await fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${accessToken}` } });
      expect(((await me.json()) as any).username).toBe("alice");
      const second = await fetch(`${base}/v1/auth/login`, { method: "POST", body: JSON.stringify({ username: "alice", password: "nope nope" }) });
      expect(second.status).toBe(401);
      const third = await fetch(`${base}/v1/auth/login`, { method: "POST", body: JSON.stringify({ username: "alice", password: "long enough pw" }) });
      expect(third.status).toBe(429);
      expect(h.deps.limiter instanceof Object).toBe(true);
      expect([...(h.deps.limiter as any).buckets.keys()]).toContain("auth:ip:127.0.0.1");
    } finally {
      server.stop(true);
    }
  });
});
