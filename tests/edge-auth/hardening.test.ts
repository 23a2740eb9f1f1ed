/**
 * Issue #18 findings at the HTTP edge: attachment CSP and membership, the app CSP and COOP,
 * /metrics access, and what a malformed URL or an unexpected failure shows on the Bun host.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadNodeConfig } from "../../hosts/bun/config.ts";
import { startNode, type NexusNode } from "../../hosts/bun/startNode.ts";
import { call, makeHarness, register, type Harness } from "./harness.ts";

let h: Harness | undefined;
let node: NexusNode | undefined;
const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  await h?.close();
  h = undefined;
  await node?.stop();
  node = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function upload(h: Harness, token: string, conversationId: string, type: string, body: string) {
  const r = await h.app.request(`/v1/attachments?conversationId=${conversationId}&name=f`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": type },
    body,
  });
  expect(r.status).toBe(201);
  return (await r.json()) as { id: string };
}

describe("attachments", () => {
  test("keep their own sandbox CSP and nosniff; non-inline types download as octet-stream", async () => {
    h = await makeHarness();
    const a = await register(h, "alice");
    const b = await register(h, "bob");
    const conv = (await call(h, "POST", "/v1/conversations/direct", { token: a.accessToken, body: { username: "bob" } })).body;
    for (const [type, inline] of [["image/png", true], ["text/html", false], ["image/svg+xml", false]] as const) {
      const att = await upload(h, b.accessToken, conv.id, type, "<script>alert(1)</script>");
      const r = await h.app.request(`/v1/conversations/${conv.id}/attachments/${att.id}`, { headers: { authorization: `Bearer ${a.accessToken}` } });
      expect(r.status).toBe(200);
      expect(r.headers.get("content-security-policy")).toBe("sandbox; default-src 'none'");
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
      expect(r.headers.get("content-disposition")!.startsWith(inline ? "inline;" : "attachment;")).toBe(true);
      expect(r.headers.get("content-type")).toBe(inline ? type : "application/octet-stream");
    }
  });

  test("members only: an account admin outside the conversation gets 403 not_member", async () => {
    h = await makeHarness();
    const root = await register(h, "root"); // first account: account admin
    expect(root.user.role).toBe("admin");
    const a = await register(h, "alice");
    await register(h, "bob");
    const conv = (await call(h, "POST", "/v1/conversations/direct", { token: a.accessToken, body: { username: "bob" } })).body;
    const att = await upload(h, a.accessToken, conv.id, "image/png", "png bytes");
    const path = `/v1/conversations/${conv.id}/attachments/${att.id}`;
    const r = await call(h, "GET", path, { token: root.accessToken });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe("not_member");
    expect((await call(h, "GET", path, { token: a.accessToken })).status).toBe(200);
  });
});

describe("content security policy", () => {
  test("sockets and fetches go to this origin and the configured CORS origins only; COOP same-origin", async () => {
    h = await makeHarness({ CORS_ORIGINS: "https://app.example.com" });
    const r = await h.app.request("/health");
    const connect = r.headers.get("content-security-policy")!.split("; ").find((d) => d.startsWith("connect-src"));
    expect(connect).toBe("connect-src 'self' https://app.example.com wss://app.example.com");
    expect(r.headers.get("cross-origin-opener-policy")).toBe("same-origin");
  });
});

describe("/metrics", () => {
  test("with METRICS_TOKEN: Bearer token required (401 otherwise)", async () => {
    h = await makeHarness({ METRICS_TOKEN: "metrics-token-0123456789" });
    expect((await h.app.request("/metrics")).status).toBe(401);
    expect((await h.app.request("/metrics", { headers: { authorization: "Bearer metrics-token-0123456788" } })).status).toBe(401);
    const ok = await h.app.request("/metrics", { headers: { authorization: "Bearer metrics-token-0123456789" } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("http_requests_total");
  });

  test("without a token: loopback clients only, and not through a proxy", async () => {
    h = await makeHarness();
    expect((await h.app.request("/metrics")).status).toBe(403); // no socket address: not loopback
    const app = h.app;
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req, srv) => app.fetch(req, { server: srv }) });
    try {
      const url = `http://127.0.0.1:${server.port}/metrics`;
      expect((await fetch(url)).status).toBe(200);
      const proxied = await fetch(url, { headers: { "x-forwarded-for": "203.0.113.7" } });
      expect(proxied.status).toBe(403);
      expect(((await proxied.json()) as any).error.code).toBe("forbidden");
    } finally {
      server.stop(true);
    }
  });
});

describe("Bun host: malformed URLs and unexpected failures", () => {
  async function start(index: "file" | "directory") {
    const web = tempDir("nexus-web-");
    if (index === "file") writeFileSync(join(web, "index.html"), "<!doctype html><title>nexus</title>");
    else mkdirSync(join(web, "index.html")); // makes serving index.html throw inside Bun
    const config = loadNodeConfig({ PORT: "0", DATA_DIR: tempDir("nexus-data-") });
    node = await startNode(config, { webRoot: web });
    return node.url;
  }

  test("a malformed percent-encoding is a plain 400, and pages carry the security headers", async () => {
    const url = await start("file");
    for (const path of ["/%E0%A4%A", "/%", "/a%00b"]) {
      const r = await fetch(url + path);
      expect(r.status).toBe(400);
      expect(r.headers.get("content-type")).toContain("text/plain");
      expect(await r.text()).not.toContain("node_modules");
    }
    const page = await fetch(url + "/");
    expect(page.status).toBe(200);
    expect(page.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(page.headers.get("content-security-policy")).toContain("connect-src 'self';");
  });

  test("an error escaping the app is a generic 500 JSON, never Bun's development page", async () => {
    const url = await start("directory");
    const r = await fetch(url + "/some/page");
    expect(r.status).toBe(500);
    expect(r.headers.get("content-type")).toContain("application/json");
    const text = await r.text();
    expect(JSON.parse(text)).toEqual({ error: { code: "internal", message: "internal error" } });
    expect(text).not.toContain("/");
  });
});

describe("Bun host: sockets per user", () => {
  test("conversation and inbox sockets count together; past the cap the upgrade is a 429 with a JSON error", async () => {
    const web = tempDir("nexus-web-");
    node = await startNode(loadNodeConfig({ PORT: "0", DATA_DIR: tempDir("nexus-data-"), NEXUS_MAX_SOCKETS_PER_USER: "2" }), { webRoot: web });
    const post = async (path: string, body: unknown, token?: string) => {
      const r = await fetch(node!.url + path, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) } });
      return (await r.json()) as any;
    };
    const alice = await post("/v1/auth/register", { username: "alice", password: "correct horse battery" });
    await post("/v1/auth/register", { username: "bob", password: "correct horse battery" });
    const conv = await post("/v1/conversations/direct", { username: "bob" }, alice.accessToken);
    const ticket = async () => (await post("/v1/ws-ticket", {}, alice.accessToken)).ticket as string;
    const ws = node.url.replace("http", "ws");
    const open = async (path: string) => {
      const s = new WebSocket(`${ws}${path}${path.includes("?") ? "&" : "?"}ticket=${await ticket()}`);
      const first = await new Promise<string>((resolve) => {
        s.onmessage = (e) => resolve(JSON.parse(String(e.data)).t);
        s.onclose = () => resolve("closed");
      });
      return { s, first };
    };
    const a = await open(`/v1/ws/conversations/${conv.id}`);
    const b = await open("/v1/ws/inbox");
    expect([a.first, b.first]).toEqual(["welcome", "inbox"]);
    // The raw upgrade request shows the refusal: 429 and the usual error body.
    const refused = await fetch(`${node.url}/v1/ws/inbox?ticket=${await ticket()}`, {
      headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" },
    });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as any).error.code).toBe("rate_limited");
    const third = await open(`/v1/ws/conversations/${conv.id}`);
    expect(third.first).toBe("closed");
    // Closing one frees its place.
    a.s.close();
    let again = "closed";
    for (let i = 0; i < 20 && again === "closed"; i++) {
      await Bun.sleep(50);
      const o = await open("/v1/ws/inbox");
      again = o.first;
      o.s.close();
    }
    expect(again).toBe("inbox");
    b.s.close();
  });
});
