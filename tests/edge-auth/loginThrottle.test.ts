/**
 * Issue #18 item 3: a stranger's wrong passwords lock only the stranger's address out of a name;
 * the owner elsewhere still signs in; unknown names get the same answers as existing ones; many
 * addresses together only slow a name down (429 with retryAfter), never lock it.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { call, makeHarness, register, type Harness } from "./harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await makeHarness({ TRUSTED_IP_HEADER: "x-forwarded-for" });
});
afterEach(async () => h.close());

const PASSWORD = "correct horse battery";
const login = (username: string, password: string, ip: string) =>
  call(h, "POST", "/v1/auth/login", { body: { username, password }, headers: { "x-forwarded-for": ip } });

describe("failed logins count per (name, address)", () => {
  test("a stranger's 3 failures lock only the stranger's address; the owner elsewhere signs in", async () => {
    await register(h, "alice");
    await register(h, "bob");
    expect((await login("bob", "wrong password", "203.0.113.7")).status).toBe(401);
    expect((await login("bob", "wrong password", "203.0.113.7")).status).toBe(401);
    const third = await login("bob", "wrong password", "203.0.113.7");
    expect(third.status).toBe(423);
    expect(third.body.error.code).toBe("account_locked");
    expect(third.body.error.details).toEqual({ until: h.clock.t + 15 * 60_000, indefinite: false, scope: "address" });
    // The stranger's address is locked out even with the right password...
    expect((await login("bob", PASSWORD, "203.0.113.7")).status).toBe(423);
    // ...but the owner, from another address, is not.
    const owner = await login("bob", PASSWORD, "198.51.100.1");
    expect(owner.status).toBe(200);
    expect(owner.body.user.username).toBe("bob");
    // Other names from the stranger's address are not affected either.
    expect((await login("alice", PASSWORD, "203.0.113.7")).status).toBe(200);
    h.clock.t += 15 * 60_000 + 1;
    expect((await login("bob", PASSWORD, "203.0.113.7")).status).toBe(200);
  });

  test("existing and unknown names get the same answers, attempt for attempt", async () => {
    await register(h, "alice");
    await register(h, "bob");
    const answers = async (username: string, ip: string) => {
      const out: unknown[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await login(username, "wrong password", ip);
        out.push({ status: r.status, body: r.body, retryAfter: r.headers.get("retry-after") });
      }
      return out;
    };
    const existing = await answers("bob", "192.0.2.1");
    const unknown = await answers("nobody", "192.0.2.2");
    expect(existing.map((a: any) => a.status)).toEqual([401, 401, 423, 423]);
    expect(unknown).toEqual(existing);
  });

  test("many addresses slow a name down (429 + Retry-After), never lock it; the owner gets in after the wait", async () => {
    await register(h, "alice");
    await register(h, "bob");
    // 11 addresses, one wrong guess each: none reaches its own 3-strike lock.
    for (let i = 0; i < 11; i++) expect((await login("bob", "wrong password", `10.0.0.${i}`)).status).toBe(401);
    for (const name of ["bob"]) {
      const slowed = await login(name, PASSWORD, "198.51.100.1");
      expect(slowed.status).toBe(429);
      expect(slowed.body.error.code).toBe("rate_limited");
      expect(slowed.body.error.details.retryAfter).toBe(1);
      expect(slowed.headers.get("retry-after")).toBe("1");
    }
    h.clock.t += 1000;
    expect((await login("bob", PASSWORD, "198.51.100.1")).status).toBe(200);
    // Each further failure adds a second of waiting, up to 30 s.
    for (let i = 0; i < 40; i++) {
      h.clock.t += 30_000;
      expect((await login("bob", "wrong password", `10.0.1.${i}`)).status).toBe(401);
    }
    const capped = await login("bob", PASSWORD, "198.51.100.1");
    expect(capped.status).toBe(429);
    expect(capped.body.error.details.retryAfter).toBe(30);
    h.clock.t += 30_000;
    expect((await login("bob", PASSWORD, "198.51.100.1")).status).toBe(200);
  });

  test("an unknown name is slowed exactly like an existing one", async () => {
    for (const name of ["bob", "ghost"]) {
      if (name === "bob") await register(h, "bob");
      for (let i = 0; i < 11; i++) await login(name, "wrong password", `10.2.0.${i}`);
      const r = await login(name, "wrong password", "10.3.0.1");
      expect({ status: r.status, body: r.body }).toEqual({
        status: 429,
        body: { error: { code: "rate_limited", message: "too many failed logins for this account; wait before trying again", details: { retryAfter: 1 } } },
      });
    }
  });

  test("an admin lock is only revealed to the right password; unlock clears address lockouts", async () => {
    const admin = await register(h, "alice");
    const bob = await register(h, "bob");
    expect((await call(h, "POST", `/v1/admin/users/${bob.user.id}/lock`, { token: admin.accessToken, body: {} })).status).toBe(204);
    const wrong = await login("bob", "wrong password", "192.0.2.9");
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("invalid_credentials");
    const right = await login("bob", PASSWORD, "192.0.2.10");
    expect(right.status).toBe(423);
    expect(right.body.error.details).toMatchObject({ indefinite: true, scope: "account" });

    for (let i = 0; i < 3; i++) await login("bob", "wrong password", "192.0.2.11");
    const list = await call(h, "GET", "/v1/admin/users", { token: admin.accessToken });
    expect(list.body.users.find((u: any) => u.username === "bob").failedLogins).toBe(4);
    expect((await call(h, "POST", `/v1/admin/users/${bob.user.id}/unlock`, { token: admin.accessToken })).status).toBe(204);
    expect((await login("bob", PASSWORD, "192.0.2.11")).status).toBe(200);
    const after = await call(h, "GET", "/v1/admin/users", { token: admin.accessToken });
    expect(after.body.users.find((u: any) => u.username === "bob")).toMatchObject({ lockedUntil: null, failedLogins: 0 });
  });
});
