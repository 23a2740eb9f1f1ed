import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { call, makeHarness, register, type Harness } from "./harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await makeHarness({ ADMIN_USERNAMES: "boss" });
});
afterEach(async () => h.close());

describe("register and login", () => {
  test("first user is admin, later users are not, ADMIN_USERNAMES are", async () => {
    const first = await register(h, "alice");
    const second = await register(h, "bob");
    const boss = await register(h, "boss");
    expect(first.user.role).toBe("admin");
    expect(second.user.role).toBe("user");
    expect(boss.user.role).toBe("admin");
    expect(first.refreshToken.length).toBeGreaterThan(20);
    const me = await call(h, "GET", "/v1/me", { token: second.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: second.user.id, username: "bob", role: "user" });
  });

  test("username taken → 409 conflict, user count unchanged", async () => {
    await register(h, "alice");
    const r = await call(h, "POST", "/v1/auth/register", { body: { username: "alice", password: "another password" } });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("conflict");
    expect(await h.userCount()).toBe(1);
  });

  test("login works case-insensitively; wrong password and unknown user are both 401 invalid_credentials", async () => {
    await register(h, "alice", "correct horse battery");
    const ok = await call(h, "POST", "/v1/auth/login", { body: { username: "Alice", password: "correct horse battery" } });
    expect(ok.status).toBe(200);
    expect(ok.body.user.username).toBe("alice");
    expect(typeof ok.body.accessToken).toBe("string");
    expect(ok.body.accessExpiresIn).toBe(900);
    const bad = await call(h, "POST", "/v1/auth/login", { body: { username: "alice", password: "wrong password" } });
    const ghost = await call(h, "POST", "/v1/auth/login", { body: { username: "nobody", password: "whatever1" } });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe("invalid_credentials");
    expect(ghost.status).toBe(401);
    expect(ghost.body.error.code).toBe("invalid_credentials");
  });

  test("password is stored as an scrypt hash, not plaintext", async () => {
    await register(h, "alice", "correct horse battery");
    const row = await (h.deps.accounts as any).sql.first("SELECT password_hash FROM users WHERE username = 'alice'");
    expect(row.password_hash).toStartWith("scrypt$16384$8$1$");
    expect(row.password_hash).not.toContain("correct horse");
  });
});

describe("refresh tokens", () => {
  test("refresh rotates: new token works, spent token is refused", async () => {
    const a = await register(h, "alice");
    const r1 = await call(h, "POST", "/v1/auth/refresh", { body: { refreshToken: a.refreshToken } });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(a.refreshToken);
    expect(r1.body.user.username).toBe("alice");
    const me = await call(h, "GET", "/v1/me", { token: r1.body.accessToken });
    expect(me.status).toBe(200);
    const r2 = await call(h, "POST", "/v1/auth/refresh", { body: { refreshToken: r1.body.refreshToken } });
    expect(r2.status).toBe(200);
  });

  test("reusing a spent token revokes the whole family, other sessions survive", async () => {
    const a = await register(h, "alice");
    const other = await call(h, "POST", "/v1/auth/login", { body: { username: "alice", password: "correct horse battery" } });
    const r1 = await call(h, "POST", "/v1/auth/refresh", { body: { refreshToken: a.refreshToken } });
    expect(r1.status).toBe(200);
    const reuse = await call(h, "POST", "/v1/auth/refresh", { body: { refreshToken: a.refreshToken } });
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.code).toBe("unauthorized");
    expect(reuse.body.error.message).toContain("reuse");
    // The legitimate successor is dead too: the family is revoked.
    const successor = await call(h, "POST", "/v1/auth/refresh", { body: { refreshToken: r1.body.refreshToken } });
    expect(successor.status).toBe(401);
    // A separate login (another family) is unaffected.
    const otherRefresh = await call(h, "POST", "/v1/auth/refresh", { body: { refreshToken: other.body.refreshToken } });
    expect(otherRefresh.status).toBe(200);
  });

  test("concurrent refreshes with one token: exactly one wins", async () => {
    const a = await register(h, "alice");
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => call(h, "POST", "/v1/auth/refresh", { body: { refreshToken: a.refreshToken } })),
    );
    expect(results.filter((r) => r.status === 200).length).toBe(1);
    expect(results.filter((r) => r.status === 401).length).toBe(3);
  });

  test("unknown and expired refresh tokens → 401", async () => {
    const a = await register(h, "alice");
    const unknown = await call(h, "POST", "/v1/auth/refresh", { body: { refreshToken: "x".repeat(43) } });
    expect(unknown.status).toBe(401);
    h.clock.t += 31 * 86_400_000;
    const expired = await call(h, "POST", "/v1/auth/refresh", { body: { refreshToken: a.refreshToken } });
    expect(expired.status).toBe(401);
  });

  test("logout revokes the family (204), idempotent", async () => {
    const a = await register(h, "alice");
    const out = await call(h, "POST", "/v1/auth/logout", { body: { refreshToken: a.refreshToken } });
    expect(out.status).toBe(204);
    const again = await call(h, "POST", "/v1/auth/logout", { body: { refreshToken: a.refreshToken } });
    expect(again.status).toBe(204);
    const r = await call(h, "POST", "/v1/auth/refresh", { body: { refreshToken: a.refreshToken } });
    expect(r.status).toBe(401);
  });
});

describe("lockout", () => {
  const bad = () => call(h, "POST", "/v1/auth/login", { body: { username: "bob", password: "wrong password" } });
  const good = () => call(h, "POST", "/v1/auth/login", { body: { username: "bob", password: "correct horse battery" } });

  test("3 failures → 423 with until; correct password refused while locked; expires after lockoutMinutes", async () => {
    await register(h, "alice");
    await register(h, "bob");
    expect((await bad()).status).toBe(401);
    expect((await bad()).status).toBe(401);
    const third = await bad();
    expect(third.status).toBe(423);
    expect(third.body.error.code).toBe("account_locked");
    expect(third.body.error.details.until).toBe(h.clock.t + 15 * 60_000);
    const refused = await good();
    expect(refused.status).toBe(423);
    expect(refused.body.error.details.until).toBe(third.body.error.details.until);
    h.clock.t += 15 * 60_000 + 1;
    expect((await good()).status).toBe(200);
  });

  test("success resets the failure counter", async () => {
    await register(h, "alice");
    await register(h, "bob");
    await bad();
    await bad();
    expect((await good()).status).toBe(200);
    expect((await bad()).status).toBe(401);
    expect((await bad()).status).toBe(401);
    expect((await bad()).status).toBe(423);
  });

  test("admin sees the lock and unlocks; user logs in again", async () => {
    const admin = await register(h, "alice");
    const bob = await register(h, "bob");
    await bad();
    await bad();
    await bad();
    const list = await call(h, "GET", "/v1/admin/users", { token: admin.accessToken });
    expect(list.status).toBe(200);
    const row = list.body.users.find((u: any) => u.username === "bob");
    expect(row.lockedUntil).toBeGreaterThan(h.clock.t);
    const un = await call(h, "POST", `/v1/admin/users/${bob.user.id}/unlock`, { token: admin.accessToken });
    expect(un.status).toBe(204);
    expect((await good()).status).toBe(200);
    const after = await call(h, "GET", "/v1/admin/users", { token: admin.accessToken });
    expect(after.body.users.find((u: any) => u.username === "bob")).toMatchObject({ lockedUntil: null, failedLogins: 0 });
  });

  test("admin lock kills access tokens, tickets and refresh tokens at once; login refused until unlock", async () => {
    const admin = await register(h, "alice");
    const bob = await register(h, "bob");
    const ticket = await call(h, "POST", "/v1/ws-ticket", { token: bob.accessToken });
    expect(ticket.status).toBe(200);
    expect(ticket.body.expiresIn).toBe(30);
    expect((await h.accounts.verifyTicket(ticket.body.ticket)).userId).toBe(bob.user.id);

    const lock = await call(h, "POST", `/v1/admin/users/${bob.user.id}/lock`, { token: admin.accessToken, body: {} });
    expect(lock.status).toBe(204);
    expect((await call(h, "GET", "/v1/me", { token: bob.accessToken })).status).toBe(401);
    await expect(h.accounts.verifyTicket(ticket.body.ticket)).rejects.toMatchObject({ code: "unauthorized" });
    expect((await call(h, "POST", "/v1/auth/refresh", { body: { refreshToken: bob.refreshToken } })).status).toBe(401);
    const login = await good();
    expect(login.status).toBe(423);
    expect(login.body.error.details.indefinite).toBe(true);
    h.clock.t += 365 * 86_400_000;
    expect((await good()).status).toBe(423);

    // The admin's own access token has expired by now (a year later): sign in again.
    const again = await call(h, "POST", "/v1/auth/login", { body: { username: "alice", password: "correct horse battery" } });
    expect(again.status).toBe(200);
    expect((await call(h, "POST", `/v1/admin/users/${bob.user.id}/unlock`, { token: admin.accessToken })).status).toBe(401);
    expect((await call(h, "POST", `/v1/admin/users/${bob.user.id}/unlock`, { token: again.body.accessToken })).status).toBe(204);
    expect((await good()).status).toBe(200);
    // Tokens from before the lock stay dead after unlock.
    expect((await call(h, "GET", "/v1/me", { token: bob.accessToken })).status).toBe(401);
  });

  test("timed admin lock expires", async () => {
    const admin = await register(h, "alice");
    const bob = await register(h, "bob");
    const lock = await call(h, "POST", `/v1/admin/users/${bob.user.id}/lock`, { token: admin.accessToken, body: { minutes: 5 } });
    expect(lock.status).toBe(204);
    const refused = await good();
    expect(refused.status).toBe(423);
    expect(refused.body.error.details.until).toBe(h.clock.t + 5 * 60_000);
    h.clock.t += 5 * 60_000 + 1;
    expect((await good()).status).toBe(200);
  });
});

describe("admin routes", () => {
  test("403 for a normal user, 401 without a token", async () => {
    await register(h, "alice");
    const bob = await register(h, "bob");
    const list = await call(h, "GET", "/v1/admin/users", { token: bob.accessToken });
    expect(list.status).toBe(403);
    expect(list.body.error.code).toBe("forbidden");
    const lock = await call(h, "POST", `/v1/admin/users/${bob.user.id}/lock`, { token: bob.accessToken, body: {} });
    expect(lock.status).toBe(403);
    expect((await call(h, "GET", "/v1/admin/users")).status).toBe(401);
    // Nothing was locked.
    expect((await call(h, "GET", "/v1/me", { token: bob.accessToken })).status).toBe(200);
  });

  test("unknown user → 404; locking yourself → 409", async () => {
    const admin = await register(h, "alice");
    expect((await call(h, "POST", "/v1/admin/users/u_nope/lock", { token: admin.accessToken, body: {} })).status).toBe(404);
    expect((await call(h, "POST", "/v1/admin/users/u_nope/unlock", { token: admin.accessToken })).status).toBe(404);
    const self = await call(h, "POST", `/v1/admin/users/${admin.user.id}/lock`, { token: admin.accessToken, body: {} });
    expect(self.status).toBe(409);
  });
});

describe("users", () => {
  test("search by prefix, lookup by name, 404 for unknown", async () => {
    const a = await register(h, "alice");
    await register(h, "alfred");
    await register(h, "bob");
    const s = await call(h, "GET", "/v1/users?q=al", { token: a.accessToken });
    expect(s.status).toBe(200);
    expect(s.body.users.map((u: any) => u.username)).toEqual(["alfred", "alice"]);
    const pct = await call(h, "GET", "/v1/users?q=%25", { token: a.accessToken });
    expect(pct.body.users).toEqual([]);
    const byName = await call(h, "GET", "/v1/users/by-name/bob", { token: a.accessToken });
    expect(byName.status).toBe(200);
    expect(byName.body.username).toBe("bob");
    expect(byName.body.password_hash).toBeUndefined();
    expect((await call(h, "GET", "/v1/users/by-name/zed", { token: a.accessToken })).status).toBe(404);
  });

  test("tickets are not access tokens and access tokens are not tickets", async () => {
    const a = await register(h, "alice");
    const t = await call(h, "POST", "/v1/ws-ticket", { token: a.accessToken });
    expect((await call(h, "GET", "/v1/me", { token: t.body.ticket })).status).toBe(401);
    await expect(h.accounts.verifyTicket(a.accessToken)).rejects.toMatchObject({ code: "unauthorized" });
  });

  test("expired or tampered access token → 401; expired ticket refused", async () => {
    const a = await register(h, "alice");
    expect((await call(h, "GET", "/v1/me", { token: a.accessToken })).status).toBe(200);
    const tampered = await call(h, "GET", "/v1/me", { token: a.accessToken.slice(0, -2) + "xx" });
    expect(tampered.status).toBe(401);
    const t = await call(h, "POST", "/v1/ws-ticket", { token: a.accessToken });
    h.clock.t += 31_000;
    await expect(h.accounts.verifyTicket(t.body.ticket)).rejects.toMatchObject({ code: "unauthorized" });
    expect((await call(h, "GET", "/v1/me", { token: a.accessToken })).status).toBe(200);
    h.clock.t += 900_000;
    const expired = await call(h, "GET", "/v1/me", { token: a.accessToken });
    expect(expired.status).toBe(401);
    expect(expired.body.error.message).toBe("token expired");
  });
});
