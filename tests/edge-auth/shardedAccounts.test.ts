/**
 * ShardedAccounts (edge/auth/shardedAccounts.ts) over four libSQL files: every operation reaches the
 * shard its key names, cross-shard reads merge, and ids and refresh tokens from before sharding
 * (unprefixed, in shard 0) still resolve. The shard of a name is pinned: changing the
 * hash would strand every account of a deployment.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLibsql } from "../../hosts/bun/storage/libsqlSql.ts";
import { AccountService } from "../../edge/auth/accounts.ts";
import { parseUserId, shardOfUsername, ShardedAccounts } from "../../edge/auth/shardedAccounts.ts";
import { loadConfig } from "../../edge/config.ts";
import type { Sql } from "../../actors/storage/sql.ts";
import type { PasswordHasher } from "../../edge/auth/passwordHasher.ts";

// A cheap hasher: these tests are about routing, not scrypt.
const hasher: PasswordHasher = { hash: async (p) => `plain:${p}`, verify: async (p, e) => e === `plain:${p}` };
const config = loadConfig({ JWT_SECRET: "x".repeat(40) });
const PASSWORD = "routing-test-password-1";
/** The rejection of `p` (null if it resolves). Plain, because bun's `expect(p).rejects` hung here on NexusErrors. */
const failure = (p: Promise<unknown>) => p.then(() => null, (e: Error) => e);

let dir: string;
let shards: Sql[];
let accounts: ShardedAccounts;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nexus-shards-"));
  shards = await Promise.all([0, 1, 2, 3].map((i) => openLibsql(join(dir, `shard${i}.db`))));
  accounts = new ShardedAccounts({ shards, config, hasher });
  await accounts.init();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("ShardedAccounts", () => {
  test("a name's shard is stable (pinned values) and case-insensitive", () => {
    expect(["alice", "bob", "carol", "dave", "erin"].map((n) => shardOfUsername(n, 16))).toEqual([7, 4, 2, 15, 9]);
    expect(shardOfUsername("Alice", 16)).toBe(shardOfUsername("alice", 16));
  });

  test("ids name their shard and home; legacy ids are shard 0", () => {
    expect(parseUserId("u7-weur_abc")).toEqual({ shard: 7, home: "weur" });
    expect(parseUserId("u12_abc")).toEqual({ shard: 12, home: undefined });
    expect(parseUserId("u_abc-def")).toEqual({ shard: 0, home: undefined });
  });

  test("sign-up lands in the name's shard; login, refresh, tickets and lookups find it", async () => {
    const r = await accounts.register("zoe-routing", PASSWORD, "apac");
    const shard = shardOfUsername("zoe-routing", 4);
    expect(parseUserId(r.user.id)).toEqual({ shard, home: "apac" });
    expect(r.refreshToken.startsWith(`${shard}.`)).toBe(true);
    // Stored in exactly that shard.
    const holders = await Promise.all(shards.map((s) => s.first(`SELECT id FROM users WHERE username = ?`, ["zoe-routing"])));
    expect(holders.map((h) => h !== undefined)).toEqual([0, 1, 2, 3].map((i) => i === shard));
    expect(r.user.role).toBe("admin"); // the first sign-up of this store
    const login = await accounts.login("zoe-routing", PASSWORD);
    expect(login.user.id).toBe(r.user.id);
    const p = await accounts.verifyAccess(login.accessToken);
    expect(p.userId).toBe(r.user.id);
    const { ticket } = await accounts.issueTicket(p);
    expect((await accounts.verifyTicket(ticket)).userId).toBe(r.user.id);
    const refreshed = await accounts.refresh(login.refreshToken);
    expect(refreshed.refreshToken.startsWith(`${shard}.`)).toBe(true);
    await accounts.logout(refreshed.refreshToken);
    expect((await failure(accounts.refresh(refreshed.refreshToken)))?.message).toMatch(/refresh token/);
    expect((await accounts.getUser(r.user.id))?.username).toBe("zoe-routing");
    expect((await accounts.findByUsername("zoe-routing"))?.id).toBe(r.user.id);
    expect((await failure(accounts.register("zoe-routing", PASSWORD)))?.message).toMatch(/taken/);
  });

  test("lock and unlock reach the user's shard", async () => {
    const r = await accounts.register("lockme-routing", PASSWORD);
    await accounts.lock(r.user.id);
    expect((await failure(accounts.login("lockme-routing", PASSWORD)))?.message).toMatch(/locked/);
    await accounts.unlock(r.user.id);
    expect((await accounts.login("lockme-routing", PASSWORD)).user.id).toBe(r.user.id);
  });

  test("search and the admin list merge every shard, in order", async () => {
    for (const n of ["mrg-d", "mrg-a", "mrg-c", "mrg-b"]) await accounts.register(n, PASSWORD);
    expect((await accounts.searchUsers("mrg-", 3)).map((u) => u.username)).toEqual(["mrg-a", "mrg-b", "mrg-c"]);
    const all = (await accounts.listUsers()).map((u) => u.username);
    for (const n of ["zoe-routing", "mrg-a", "mrg-d"]) expect(all).toContain(n);
    expect(all[0]).toBe("zoe-routing"); // oldest first
  });

  test("#20: a password change answers a session tagged with the user's shard; deactivation and deletion reach that shard; the audit log is shard 0's", async () => {
    // A name outside shard 0, so a wrong routing could not pass by accident.
    const name = ["uma-routing", "vic-routing", "wes-routing", "xia-routing"].find((n) => shardOfUsername(n, 4) !== 0)!;
    const shard = shardOfUsername(name, 4);
    const r = await accounts.register(name, PASSWORD);
    const changed = await accounts.changePassword(r.user.id, PASSWORD, "routing-test-password-2");
    expect(changed.refreshToken.startsWith(`${shard}.`)).toBe(true);
    expect((await accounts.refresh(changed.refreshToken)).user.id).toBe(r.user.id);
    expect((await failure(accounts.login(name, PASSWORD)))?.message).toBe("wrong username or password");
    await accounts.deactivate(r.user.id);
    expect((await failure(accounts.login(name, "routing-test-password-2")))?.message).toBe("account is deactivated by an admin");
    expect((await accounts.listUsers()).find((u) => u.id === r.user.id)?.state).toBe("deactivated");
    await accounts.reactivate(r.user.id);
    await accounts.beginDeletion(r.user.id, "routing-test-password-2");
    await accounts.finishDeletion(r.user.id);
    expect(await shards[shard]!.first(`SELECT deleted_at FROM account_states WHERE user_id = ?`, [r.user.id])).toBeDefined();
    await accounts.recordAdminAction({ admin: { userId: "u_admin", username: "admin" }, action: "deactivate", target: r.user.id, targetName: name });
    expect((await accounts.adminActions(undefined, 1)).actions[0]).toMatchObject({ action: "deactivate", target: r.user.id });
    expect(await shards[0]!.first(`SELECT 1 AS x FROM admin_audit WHERE target = ?`, [r.user.id])).toBeDefined();
  });
});

test("a fresh sharded store: the first registration becomes the one admin, whatever shard it lands in", async () => {
  const d = await mkdtemp(join(tmpdir(), "nexus-shards-fresh-"));
  try {
    const fresh = await Promise.all([0, 1, 2, 3].map((i) => openLibsql(join(d, `s${i}.db`))));
    const a = new ShardedAccounts({ shards: fresh, config, hasher });
    await a.init();
    const names = ["first-a", "first-b", "first-c", "first-d", "first-e", "first-f"];
    const res = await Promise.all(names.map((n) => a.register(n, PASSWORD)));
    expect(res.filter((r) => r.user.role === "admin").length).toBe(1);
    // The admin role is also stored, not just in the first token.
    const admin = res.find((r) => r.user.role === "admin")!;
    expect((await a.getUser(admin.user.id))?.role).toBe("admin");
  } finally {
    await rm(d, { recursive: true, force: true });
  }
});

test("a directory from before sharding: kept at one shard it works as before; over more shards it refuses to start", async () => {
  const d = await mkdtemp(join(tmpdir(), "nexus-shards-legacy-"));
  try {
    const sql = await openLibsql(join(d, "directory.db"));
    const old = new AccountService({ sql, config, hasher });
    await old.init();
    const legacy = await old.register("oldtimer", PASSWORD);
    expect(legacy.user.id).toMatch(/^u_/);
    const others = await Promise.all([1, 2, 3].map((i) => openLibsql(join(d, `s${i}.db`))));
    expect((await failure(new ShardedAccounts({ shards: [sql, ...others], config, hasher }).init()))?.message).toMatch(/NEXUS_DIRECTORY_SHARDS=1/);
    const one = new ShardedAccounts({ shards: [sql], config, hasher });
    await one.init();
    expect((await one.login("oldtimer", PASSWORD)).user).toMatchObject({ id: legacy.user.id, role: "admin" });
    const rotated = await one.refresh(legacy.refreshToken); // unprefixed: shard 0
    expect(rotated.refreshToken.startsWith("0.")).toBe(true);
    expect((await one.getUser(legacy.user.id))?.username).toBe("oldtimer");
    expect((await one.register("newcomer", PASSWORD)).user.role).toBe("user"); // the old admin stands
  } finally {
    await rm(d, { recursive: true, force: true });
  }
});
