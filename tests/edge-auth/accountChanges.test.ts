/**
 * Issue #20: changing your password, deleting your account, and the admin's deactivate / reactivate
 * / reset password / audit log, through the real edge app over a real libSQL file (sockets closing:
 * tests/bun-host/accountSockets.test.ts and the Chromium e2e test).
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { call, makeHarness, register, type Harness } from "./harness.ts";
import { eventually } from "../conformance/harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await makeHarness({ AUTH_CACHE_MS: "0" });
});
afterEach(async () => h.close());

const PW = "correct horse battery";
const me = (token: string) => call(h, "GET", "/v1/me", { token });
const login = (username: string, password: string, newPassword?: string) =>
  call(h, "POST", "/v1/auth/login", { body: { username, password, ...(newPassword ? { newPassword } : {}) } });
const group = async (token: string, title: string, members: string[]) =>
  (await call(h, "POST", "/v1/conversations", { token, body: { title, members } })).body as { id: string };

describe("change password", () => {
  test("needs the current password; every other session ends; the answer is a working session; the new password logs in", async () => {
    await register(h, "root");
    const bob = await register(h, "bob");
    const laptop = (await login("bob", PW)).body;
    const wrong = await call(h, "POST", "/v1/me/password", { token: bob.accessToken, body: { currentPassword: "not it at all", newPassword: "a brand new passphrase" } });
    expect([wrong.status, wrong.body.error.code, wrong.body.error.details.reason]).toEqual([403, "forbidden", "wrong_password"]);
    expect((await me(bob.accessToken)).status).toBe(200); // a wrong password does not end the session

    const res = await call(h, "POST", "/v1/me/password", { token: bob.accessToken, body: { currentPassword: PW, newPassword: "a brand new passphrase" } });
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(bob.user.id);
    expect((await me(res.body.accessToken)).status).toBe(200);
    for (const t of [bob.accessToken, laptop.accessToken]) expect((await me(t)).status).toBe(401);
    for (const r of [bob.refreshToken, laptop.refreshToken]) expect((await call(h, "POST", "/v1/auth/refresh", { body: { refreshToken: r } })).status).toBe(401);
    expect((await call(h, "POST", "/v1/auth/refresh", { body: { refreshToken: res.body.refreshToken } })).status).toBe(200);
    expect((await login("bob", PW)).status).toBe(401);
    expect((await login("bob", "a brand new passphrase")).status).toBe(200);
  });

  test("the sign-up policy applies and a refused change changes nothing", async () => {
    await register(h, "root");
    const bob = await register(h, "bob");
    for (const [newPassword, reason] of [
      ["bob-is-my-name", "contains_username"],
      ["password1", "common"],
      [PW, "same_password"],
    ] as const) {
      const r = await call(h, "POST", "/v1/me/password", { token: bob.accessToken, body: { currentPassword: PW, newPassword } });
      expect([r.status, r.body.error.details.reason]).toEqual([400, reason]);
    }
    expect((await call(h, "POST", "/v1/me/password", { token: bob.accessToken, body: { currentPassword: PW, newPassword: "short" } })).status).toBe(400);
    expect((await call(h, "POST", "/v1/me/password", { token: bob.accessToken, body: { currentPassword: PW, newPassword: "x".repeat(12), extra: 1 } })).status).toBe(400);
    expect((await me(bob.accessToken)).status).toBe(200);
    expect((await login("bob", PW)).status).toBe(200);
  });

  test("wrong re-entered passwords slow the name down like failed logins but never lock the owner's address", async () => {
    await register(h, "root");
    const bob = await register(h, "bob");
    const wrong = () => call(h, "POST", "/v1/me/password", { token: bob.accessToken, body: { currentPassword: "guess guess", newPassword: "a brand new passphrase" } });
    for (let i = 0; i < 10; i++) expect((await wrong()).status).toBe(403);
    expect((await login("bob", PW)).status).toBe(200); // no address lock after 10 (logins lock at 3)
    expect((await wrong()).status).toBe(403); // the 11th failure sets the first wait (1 s)
    const slowed = await wrong();
    expect([slowed.status, slowed.body.error.code]).toEqual([429, "rate_limited"]);
    expect((await call(h, "DELETE", "/v1/me", { token: bob.accessToken, body: { password: PW } })).status).toBe(429); // even the right one, while slowed
    expect((await me(bob.accessToken)).status).toBe(200);
  });

  test("two concurrent changes: one wins, the other is refused, the winner's password works", async () => {
    await register(h, "root");
    const bob = await register(h, "bob");
    const tries = ["first new passphrase", "second new passphrase"];
    const res = await Promise.all(tries.map((p) => call(h, "POST", "/v1/me/password", { token: bob.accessToken, body: { currentPassword: PW, newPassword: p } })));
    const ok = res.map((r) => r.status === 200);
    expect(ok.filter(Boolean).length).toBe(1);
    expect(res.find((r) => r.status !== 200)!.status).toBe(409);
    expect((await login("bob", tries[ok.indexOf(true)]!)).status).toBe(200);
    expect((await login("bob", tries[ok.indexOf(false)]!)).status).toBe(401);
  });
});

describe("delete account", () => {
  test("password re-entered; groups left, direct chats stay readable by the other side; tokens die; the name stays taken", async () => {
    const root = await register(h, "root");
    const alice = await register(h, "alice");
    const bob = await register(h, "bob");
    const g = await group(alice.accessToken, "trip", ["bob"]);
    const d = (await call(h, "POST", "/v1/conversations/direct", { token: alice.accessToken, body: { username: "bob" } })).body;
    expect((await call(h, "POST", `/v1/conversations/${d.id}/messages`, { token: bob.accessToken, body: { clientId: "c-bob-0001", text: "from bob" } })).status).toBe(201);

    expect((await call(h, "DELETE", "/v1/me", { token: bob.accessToken, body: { password: "wrong wrong wrong" } })).status).toBe(403);
    expect((await me(bob.accessToken)).status).toBe(200);
    expect((await call(h, "DELETE", "/v1/me", { token: bob.accessToken, body: {} })).status).toBe(400);

    expect((await call(h, "DELETE", "/v1/me", { token: bob.accessToken, body: { password: PW } })).status).toBe(204);
    expect((await me(bob.accessToken)).status).toBe(401);
    expect((await call(h, "DELETE", "/v1/me", { token: bob.accessToken, body: { password: PW } })).status).toBe(401);
    expect((await call(h, "POST", "/v1/auth/refresh", { body: { refreshToken: bob.refreshToken } })).status).toBe(401);
    expect((await login("bob", PW)).status).toBe(401);
    // The name stays reserved, so nobody can appear as bob on his old messages.
    expect((await call(h, "POST", "/v1/auth/register", { body: { username: "bob", password: "another passphrase" } })).status).toBe(409);
    // Not found by name (no new chats or groups with him), not in search.
    expect((await call(h, "GET", "/v1/users/by-name/bob", { token: alice.accessToken })).status).toBe(404);
    expect((await call(h, "GET", "/v1/users?q=bo", { token: alice.accessToken })).body.users).toEqual([]);

    const gi = (await call(h, "GET", `/v1/conversations/${g.id}`, { token: alice.accessToken })).body;
    expect(gi.members.map((m: { userId: string }) => m.userId)).toEqual([alice.user.id]);
    const history = (await call(h, "GET", `/v1/conversations/${d.id}/messages`, { token: alice.accessToken })).body;
    expect(history.events.find((e: any) => e.kind === "message")).toMatchObject({ author: bob.user.id, text: "from bob" });

    const users = (await call(h, "GET", "/v1/admin/users", { token: root.accessToken })).body.users;
    expect(users.find((u: { id: string }) => u.id === bob.user.id).state).toBe("deleted");
  });

  test("the deleted account's Web Push subscriptions are removed: its devices get no alerts of its direct chats", async () => {
    await register(h, "root");
    const bob = await register(h, "bob");
    const self = { userId: bob.user.id };
    const inbox = h.deps.actors.inbox(bob.user.id);
    const keys = { p256dh: "B".repeat(87), auth: "a".repeat(22) };
    for (const n of [1, 2]) await inbox.addPushSubscription(self, { endpoint: `https://push.example/device-${n}`, keys });
    expect(await inbox.pushSubscriptions(self)).toHaveLength(2);
    expect((await call(h, "DELETE", "/v1/me", { token: bob.accessToken, body: { password: PW } })).status).toBe(204);
    expect(await inbox.pushSubscriptions(self)).toEqual([]);
  });

  test("concurrent deletions of one account both succeed or find it gone; the account ends deleted once", async () => {
    await register(h, "root");
    const alice = await register(h, "alice");
    const bob = await register(h, "bob");
    await group(alice.accessToken, "g1", ["bob"]);
    await group(alice.accessToken, "g2", ["bob"]);
    const res = await Promise.all([1, 2, 3].map(() => call(h, "DELETE", "/v1/me", { token: bob.accessToken, body: { password: PW } })));
    for (const r of res) expect([204, 401]).toContain(r.status);
    expect(res.some((r) => r.status === 204)).toBe(true);
    // The list trails the conversations by a coalescing round (docs/protocol.md: inbox).
    const members = async () => ((await call(h, "GET", "/v1/conversations", { token: alice.accessToken })).body.conversations as Array<{ members: Array<{ userId: string }> }>)
      .map((c) => c.members.map((m) => m.userId));
    expect(await eventually(async () => (await members()).every((m) => m.length === 1))).toBe(true);
    for (const m of await members()) expect(m).toEqual([alice.user.id]);
    expect((await login("bob", PW)).status).toBe(401);
  });

  test("the only account admin cannot delete their account", async () => {
    const root = await register(h, "root");
    const r = await call(h, "DELETE", "/v1/me", { token: root.accessToken, body: { password: PW } });
    expect([r.status, r.body.error.details.reason]).toEqual([409, "last_admin"]);
    expect((await me(root.accessToken)).status).toBe(200);
  });
});

describe("admin: deactivate, reactivate, reset password, audit log", () => {
  test("a deactivated user cannot log in, sessions end, shown as deactivated, hidden from search; reactivation restores login", async () => {
    const root = await register(h, "root");
    const bob = await register(h, "bob");
    expect((await call(h, "POST", `/v1/admin/users/${bob.user.id}/deactivate`, { token: bob.accessToken })).status).toBe(403);
    expect((await call(h, "POST", `/v1/admin/users/${root.user.id}/deactivate`, { token: root.accessToken })).status).toBe(409);
    expect((await call(h, "POST", `/v1/admin/users/${bob.user.id}/deactivate`, { token: root.accessToken })).status).toBe(204);
    expect((await call(h, "POST", `/v1/admin/users/${bob.user.id}/deactivate`, { token: root.accessToken })).status).toBe(204); // idempotent
    expect((await me(bob.accessToken)).status).toBe(401);
    const denied = await login("bob", PW);
    expect([denied.status, denied.body.error.code, denied.body.error.details.scope]).toEqual([423, "account_locked", "deactivated"]);
    expect((await login("bob", "wrong password!")).status).toBe(401); // revealed only to the right password
    expect((await call(h, "GET", "/v1/users?q=bo", { token: root.accessToken })).body.users).toEqual([]);
    // An unlock does not end a deactivation.
    await call(h, "POST", `/v1/admin/users/${bob.user.id}/unlock`, { token: root.accessToken });
    expect((await login("bob", PW)).status).toBe(423);
    let users = (await call(h, "GET", "/v1/admin/users", { token: root.accessToken })).body.users;
    expect(users.find((u: { id: string }) => u.id === bob.user.id).state).toBe("deactivated");

    expect((await call(h, "POST", `/v1/admin/users/${bob.user.id}/reactivate`, { token: root.accessToken })).status).toBe(204);
    expect((await login("bob", PW)).status).toBe(200);
    users = (await call(h, "GET", "/v1/admin/users", { token: root.accessToken })).body.users;
    expect(users.find((u: { id: string }) => u.id === bob.user.id).state).toBe("active");
    expect((await call(h, "POST", `/v1/admin/users/u_nobody0000000/deactivate`, { token: root.accessToken })).status).toBe(404);
  });

  test("reset password: a temporary password only serves to choose a new one, once, before it expires", async () => {
    const root = await register(h, "root");
    const bob = await register(h, "bob");
    const res = await call(h, "POST", `/v1/admin/users/${bob.user.id}/reset-password`, { token: root.accessToken });
    expect(res.status).toBe(200);
    const temp: string = res.body.temporaryPassword;
    expect(temp).toMatch(/^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
    expect((await me(bob.accessToken)).status).toBe(401);
    expect((await login("bob", PW)).status).toBe(401);
    const must = await login("bob", temp);
    expect([must.status, must.body.error.code]).toEqual([403, "password_change_required"]);
    expect((await login("bob", temp, "bob contains name")).status).toBe(400);
    const done = await login("bob", temp, "my own new passphrase");
    expect(done.status).toBe(200);
    expect((await me(done.body.accessToken)).status).toBe(200);
    expect((await login("bob", temp)).status).toBe(401); // used up
    expect((await login("bob", "my own new passphrase")).status).toBe(200);

    const again = (await call(h, "POST", `/v1/admin/users/${bob.user.id}/reset-password`, { token: root.accessToken })).body;
    h.clock.t += 73 * 3_600_000;
    const expired = await login("bob", again.temporaryPassword, "yet another passphrase");
    expect([expired.status, expired.body.error.details.reason]).toEqual([401, "temporary_expired"]);
  });

  test("the audit log: every admin action, who, what, target, when; newest first, paged; append-only", async () => {
    const root = await register(h, "root");
    const bob = await register(h, "bob");
    const t0 = h.clock.t;
    const admin = (path: string, body?: unknown) => call(h, "POST", `/v1/admin/users/${bob.user.id}/${path}`, { token: root.accessToken, body });
    await admin("lock", { minutes: 5 });
    await admin("unlock");
    await admin("deactivate");
    await admin("reactivate");
    await admin("reset-password");
    expect((await call(h, "GET", "/v1/admin/audit", { token: bob.accessToken })).status).toBe(401); // reset ended bob's session
    const first = (await call(h, "GET", "/v1/admin/audit?limit=3", { token: root.accessToken })).body;
    expect(first.actions.map((a: { action: string }) => a.action)).toEqual(["reset_password", "reactivate", "deactivate"]);
    expect(first.hasMore).toBe(true);
    expect(first.actions[0]).toMatchObject({ admin: { id: root.user.id, username: "root" }, target: bob.user.id, targetName: "bob" });
    expect(first.actions[0].at).toBeGreaterThanOrEqual(t0);
    expect(JSON.stringify(first)).not.toContain(first.actions[0].details?.temporaryPassword ?? "never-there");
    const next = (await call(h, "GET", `/v1/admin/audit?limit=3&before=${first.actions[2].seq}`, { token: root.accessToken })).body;
    expect(next.actions.map((a: { action: string }) => a.action)).toEqual(["unlock", "lock"]);
    expect(next.hasMore).toBe(false);
    expect(next.actions[1].details).toMatchObject({ minutes: 5 });
    expect((await call(h, "GET", "/v1/admin/audit?limit=0", { token: root.accessToken })).status).toBe(400);
    // Append-only in storage too: the triggers refuse a rewrite.
    const sql = (h.deps.accounts as any).sql;
    await expect(sql.run("UPDATE admin_audit SET action = 'unlock'")).rejects.toThrow(/append-only/);
    await expect(sql.run("DELETE FROM admin_audit")).rejects.toThrow(/append-only/);
  });
});
