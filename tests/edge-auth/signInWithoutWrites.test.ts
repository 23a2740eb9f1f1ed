/**
 * Cluster mode's account options on the real edge app over a libSQL file (issue #15): hot-path
 * reads apart from the home (AccountServiceOptions.reads), sessions whose first refresh token is
 * signed and stored at its first rotation (firstRefreshSigned), tickets spent in a named ledger.
 * The home is wrapped to count what reaches it: a login and a ticket must reach it not at all,
 * while wrong passwords are still counted there (lockout stays global), and every way a session
 * ends still ends one that never refreshed.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Sql } from "../../actors/storage/sql.ts";
import { AccountService } from "../../edge/auth/accounts.ts";
import { ScryptHasher } from "../../hosts/shared/scryptPasswords.ts";
import { call, makeHarness, register, type Harness } from "./harness.ts";

/** What reached the home: statements that write, and reads. */
const home = { writes: [] as string[], reads: [] as string[] };
function counted(sql: Sql): Sql {
  const note = (s: string) => (/^\s*SELECT\b/i.test(s) ? home.reads : home.writes).push(s.trim().split(/\s+/).slice(0, 3).join(" "));
  return {
    all: (s, a) => (note(s), sql.all(s, a)),
    first: (s, a) => (note(s), sql.first(s, a)),
    run: (s, a) => (note(s), sql.run(s, a)),
    batch: (b, c) => (home.writes.push("batch"), sql.batch(b, c)),
    migrate: (m) => sql.migrate(m),
  };
}
const reset = () => {
  home.writes.length = 0;
  home.reads.length = 0;
};

/** The message a refused promise gives ("" if it was not refused). */
const refusal = (p: Promise<unknown>) => p.then(() => "", (e) => String(e?.message ?? e));

let h: Harness;
/** The harness's store, uncounted: the reads and the ticket ledger here. */
let raw: Sql;
beforeEach(async () => {
  h = await makeHarness({}, { accounts: (sql) => ((raw = sql), { sql: counted(sql), reads: sql, firstRefreshSigned: true, tickets: { sql, ledger: "b" } }) });
});
afterEach(async () => {
  await h.close();
});

const login = (username: string, password = "correct horse battery") => call(h, "POST", "/v1/auth/login", { body: { username, password } });
const refresh = (refreshToken: string) => call(h, "POST", "/v1/auth/refresh", { body: { refreshToken } });
const me = (token: string) => call(h, "GET", "/v1/me", { token });

describe("sign-in without a write at the home", () => {
  test("a login, a ticket and its socket's check reach the home not at all", async () => {
    await register(h, "alice");
    reset();
    const r = await login("alice");
    expect(r.status).toBe(200);
    expect(r.body.refreshToken.split(".")).toHaveLength(3); // signed, nothing stored
    const t = await call(h, "POST", "/v1/ws-ticket", { token: r.body.accessToken });
    expect(t.status).toBe(200);
    const principal = await h.accounts.verifyTicket(t.body.ticket);
    expect(principal.username).toBe("alice");
    expect(home).toEqual({ writes: [], reads: [] });
    // Spent once, in its ledger.
    expect(await refusal(h.accounts.verifyTicket(t.body.ticket))).toContain("already used");
  });

  test("a ticket is refused by a service spending tickets in another ledger", async () => {
    const a = await register(h, "alice");
    const t = await call(h, "POST", "/v1/ws-ticket", { token: a.accessToken });
    const other = new AccountService({ sql: raw, config: h.config, hasher: new ScryptHasher(), now: () => h.clock.t, tickets: { sql: raw, ledger: "c" } });
    expect(await refusal(other.verifyTicket(t.body.ticket))).toContain("another server group");
    // Not spent by that refusal: its own ledger still opens it once.
    expect((await h.accounts.verifyTicket(t.body.ticket)).username).toBe("alice");
  });

  test("wrong passwords are counted at the home; the next right one clears the address's counter there", async () => {
    await register(h, "bob");
    reset();
    expect((await login("bob", "wrong password")).status).toBe(401);
    expect(home.writes.length).toBeGreaterThanOrEqual(2); // the address's and the name's counters
    reset();
    expect((await login("bob")).status).toBe(200);
    expect(home.writes).toEqual(["DELETE FROM login_failures"]);
    reset();
    expect((await login("bob")).status).toBe(200);
    expect(home.writes).toEqual([]); // nothing left to clear
  });
});

describe("a session whose first refresh token was never used", () => {
  test("rotates, and the signed token presented again revokes the family", async () => {
    const a = await register(h, "alice");
    const r1 = await refresh(a.refreshToken);
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken.split(".")).toHaveLength(1); // stored from now on
    expect((await refresh(r1.body.refreshToken)).status).toBe(200);
    const reuse = await refresh(a.refreshToken);
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.message).toContain("reuse");
    expect((await me(a.accessToken)).status).toBe(401); // the session's access token ends with it
  });

  test("concurrent first rotations: exactly one wins", async () => {
    const a = await register(h, "alice");
    const results = await Promise.all([1, 2, 3, 4].map(() => refresh(a.refreshToken)));
    expect(results.filter((r) => r.status === 200).length).toBe(1);
    expect(results.filter((r) => r.status === 401).length).toBe(3);
  });

  test("logout ends it: refresh refused, its access token refused, other sessions live", async () => {
    const a = await register(h, "alice");
    const other = await login("alice");
    expect((await call(h, "POST", "/v1/auth/logout", { body: { refreshToken: a.refreshToken } })).status).toBe(204);
    expect((await refresh(a.refreshToken)).status).toBe(401);
    expect((await me(a.accessToken)).status).toBe(401);
    expect((await me(other.body.accessToken)).status).toBe(200);
    expect((await refresh(other.body.refreshToken)).status).toBe(200);
  });

  test("logout everywhere with it ends every session", async () => {
    const a = await register(h, "alice");
    const other = await login("alice");
    expect((await call(h, "POST", "/v1/auth/logout", { body: { refreshToken: a.refreshToken, everywhere: true } })).status).toBe(204);
    for (const s of [a, other.body]) {
      expect((await refresh(s.refreshToken)).status).toBe(401);
      expect((await me(s.accessToken)).status).toBe(401);
    }
  });

  test("an admin lock, a password change and a deletion each end it", async () => {
    const locked = await register(h, "alice");
    await h.accounts.lock(locked.user.id);
    expect((await refresh(locked.refreshToken)).status).toBe(401);

    const changed = await register(h, "bob");
    const kept = await call(h, "POST", "/v1/me/password", { token: changed.accessToken,
      body: { currentPassword: "correct horse battery", newPassword: "another long passphrase" } });
    expect(kept.status).toBe(200);
    expect((await refresh(changed.refreshToken)).status).toBe(401);
    expect((await refresh(kept.body.refreshToken)).status).toBe(200);

    const deleted = await register(h, "carol");
    await h.accounts.beginDeletion(deleted.user.id, "correct horse battery");
    expect((await refresh(deleted.refreshToken)).status).toBe(401);
  });

  test("expired or forged: refused", async () => {
    const a = await register(h, "alice");
    const [head, body] = a.refreshToken.split(".");
    expect((await refresh(`${head}.${body}.${"A".repeat(43)}`)).status).toBe(401);
    h.clock.t += 31 * 86_400_000;
    expect((await refresh(a.refreshToken)).status).toBe(401);
  });
});
