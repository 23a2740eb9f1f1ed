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
    const config = loadNodeConfig({ PORT: "0", DATA_DIR: tempDir("nexus-data-"), NODE_ENV: "development" });
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
