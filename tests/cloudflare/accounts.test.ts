/**
 * Account routes on the real Worker in workerd: AccountService runs in the Worker over the
 * DirectoryDO's SQLite (RemoteSql → DO RPC → DoSql). Checks what the remote Sql must preserve:
 * atomic statements under concurrency, rotation and lockout, and data surviving a workerd crash.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DEFAULT_PASSWORD, Nexus, uniqueName } from "../support/client.ts";
import { startNexusWorker, type WorkerTarget } from "./worker.ts";

let t: WorkerTarget;
const METRICS_TOKEN = "metrics-token-for-the-worker-test";
let nx: Nexus;

beforeAll(async () => {
  t = await startNexusWorker({ METRICS_TOKEN });
  nx = new Nexus(t.url);
}, 60_000);

afterAll(async () => {
  await t?.stop();
}, 30_000);

const post = (path: string, body: unknown, token?: string) => nx.request("POST", path, body, token);

describe("accounts on Cloudflare (DirectoryDO)", () => {
  test("/health and /ready answer; /ready reaches the DirectoryDO", async () => {
    expect((await nx.request("GET", "/health")).body).toEqual({ ok: true });
    const ready = await nx.request("GET", "/ready");
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ ok: true });
  });

  test("concurrent first registrations: exactly one admin", async () => {
    const names = Array.from({ length: 6 }, () => uniqueName("first"));
    const res = await Promise.all(names.map((username) => post("/v1/auth/register", { username, password: DEFAULT_PASSWORD })));
    expect(res.map((r) => r.status)).toEqual(names.map(() => 201));
    expect(res.filter((r) => r.body.user.role === "admin").length).toBe(1);
  });

  test("register → /v1/me with the access token; taken username → 409", async () => {
    const s = await nx.register("alice");
    const me = await s.api("GET", "/v1/me");
    expect(me.status).toBe(200);
    expect(me.body.username).toBe(s.user.username);
    const again = await post("/v1/auth/register", { username: s.user.username, password: DEFAULT_PASSWORD });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("conflict");
  });

  test("invalid body → 400 with a message, nothing stored", async () => {
    const username = uniqueName("bad");
    const r = await post("/v1/auth/register", { username, password: "short" });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("bad_request");
    expect((await post("/v1/auth/login", { username, password: "short" })).status).toBe(401);
  });

  test("refresh rotates; reusing the spent token revokes the family", async () => {
    const s = await nx.register("rot");
    const first = await post("/v1/auth/refresh", { refreshToken: s.refreshToken });
    expect(first.status).toBe(200);
    const reuse = await post("/v1/auth/refresh", { refreshToken: s.refreshToken });
    expect(reuse.status).toBe(401);
    const second = await post("/v1/auth/refresh", { refreshToken: first.body.refreshToken });
    expect(second.status).toBe(401);
  });

  test("concurrent refreshes with one token: exactly one wins", async () => {
    const s = await nx.register("race");
    const res = await Promise.all(Array.from({ length: 5 }, () => post("/v1/auth/refresh", { refreshToken: s.refreshToken })));
    expect(res.filter((r) => r.status === 200).length).toBe(1);
  });

  test("3 wrong passwords → 423 account_locked with until; the right password is refused while locked", async () => {
    const s = await nx.register("lock");
    const bad = [];
    for (let i = 0; i < 3; i++) bad.push(await post("/v1/auth/login", { username: s.user.username, password: "wrong-password" }));
    expect(bad.slice(0, 2).map((r) => r.status)).toEqual([401, 401]);
    const locked = await post("/v1/auth/login", { username: s.user.username, password: DEFAULT_PASSWORD });
    expect(locked.status).toBe(423);
    expect(locked.body.error.code).toBe("account_locked");
    expect(typeof locked.body.error.details.until).toBe("number");
  });

  test("#20: change password, admin deactivate / reset / audit, delete account: tokens end and open sockets close", async () => {
    const registered = await Promise.all(["probe", "chg", "deact", "del"].map((n) => nx.register(n)));
    const [probe, chg, deact, del] = registered as [typeof registered[0], typeof registered[0], typeof registered[0], typeof registered[0]];
    // The admin: the probe when this test runs alone, else whoever won the first registration above.
    const first = probe.user.role === "admin" ? undefined : (await probe.must("GET", "/v1/users?q=first")).users.find((u: { role: string }) => u.role === "admin");
    const admin = first ? await nx.login(first.username) : probe;

    // Change password: the other session's inbox socket closes, its token ends; the answer works.
    const other = await nx.login(chg.username);
    const sock = await other.openInbox();
    await sock.next((f) => f.t === "inbox"); // attached to the InboxDO before the change
    const changed = await chg.must("POST", "/v1/me/password", { currentPassword: DEFAULT_PASSWORD, newPassword: "a new passphrase on workerd" });
    // The close frame is here at once (CLOSING); workerd ends a hibernatable socket's TCP connection
    // ~10 s later (hosts/cloudflare/actorHost.ts), so its code is read at the end of the test.
    expect((sock as any).ws.readyState).toBeGreaterThanOrEqual(WebSocket.CLOSING);
    expect((await other.api("GET", "/v1/me")).status).toBe(401);
    expect((await nx.request("GET", "/v1/me", undefined, changed.accessToken)).status).toBe(200);
    expect((await post("/v1/auth/login", { username: chg.username, password: "a new passphrase on workerd" })).status).toBe(200);

    // Deactivate: its open conversation socket closes, login says deactivated; reset gives a temporary password.
    const g = await admin.createGroup("cf accounts", [deact]);
    const conv = await deact.openConversation(g.id);
    await conv.welcome();
    expect((await admin.api("POST", `/v1/admin/users/${deact.user.id}/deactivate`)).status).toBe(204);
    expect((conv as any).ws.readyState).toBeGreaterThanOrEqual(WebSocket.CLOSING);
    const refused = await post("/v1/auth/login", { username: deact.username, password: DEFAULT_PASSWORD });
    expect([refused.status, refused.body.error.details.scope]).toEqual([423, "deactivated"]);
    expect((await admin.api("POST", `/v1/admin/users/${deact.user.id}/reactivate`)).status).toBe(204);
    const { temporaryPassword } = await admin.must("POST", `/v1/admin/users/${deact.user.id}/reset-password`);
    expect((await post("/v1/auth/login", { username: deact.username, password: temporaryPassword })).body.error.code).toBe("password_change_required");
    expect((await post("/v1/auth/login", { username: deact.username, password: temporaryPassword, newPassword: "chosen after a reset" })).status).toBe(200);
    const audit = await admin.must("GET", "/v1/admin/audit?limit=3");
    expect(audit.actions.map((a: { action: string }) => a.action)).toEqual(["reset_password", "reactivate", "deactivate"]);
    expect(audit.actions[0]).toMatchObject({ admin: { id: admin.user.id }, target: deact.user.id, targetName: deact.username });

    // Delete: groups left, the name stays taken, the token ends.
    await admin.api("POST", `/v1/conversations/${g.id}/members`, { username: del.username });
    expect((await del.api("DELETE", "/v1/me", { password: "not my password" })).status).toBe(403);
    expect((await del.api("DELETE", "/v1/me", { password: DEFAULT_PASSWORD })).status).toBe(204);
    expect((await del.api("GET", "/v1/me")).status).toBe(401);
    expect((await post("/v1/auth/register", { username: del.username, password: DEFAULT_PASSWORD })).status).toBe(409);
    const info = await admin.must("GET", `/v1/conversations/${g.id}`);
    expect(info.members.map((m: { userId: string }) => m.userId)).not.toContain(del.user.id);
    for (const s of [sock, conv]) expect(await s.closed).toMatchObject({ code: 4003, opened: true });
  }, 60_000);

  test("/metrics is Prometheus text from the Worker's isolate, with METRICS_TOKEN only", async () => {
    // On Cloudflare no client is loopback: without the token nobody reads metrics.
    expect((await nx.request("GET", "/metrics")).status).toBe(401);
    expect((await nx.request("GET", "/metrics", undefined, "wrong-token-wrong-token")).status).toBe(401);
    const r = await nx.request("GET", "/metrics", undefined, METRICS_TOKEN);
    expect(r.status).toBe(200);
    expect(r.text).toContain("# TYPE http_requests_total counter");
    expect(r.text).toContain('route="/v1/auth/register"');
  });

  test("accounts survive a workerd crash (SIGKILL) and restart on the same storage", async () => {
    const s = await nx.register("durable");
    await t.restart();
    nx.baseUrl = t.url;
    const again = await nx.login(s.user.username);
    expect(again.user.id).toBe(s.user.id);
  });
});
