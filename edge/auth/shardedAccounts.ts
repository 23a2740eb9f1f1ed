/**
 * Accounts spread over N stores ("shards"), so no single store is on every sign-up and login path.
 *  - A username lives in exactly one shard: `shardOfUsername` (FNV-1a of the lower-cased name, mod N).
 *    The shard's UNIQUE(username) therefore keeps names unique across all shards.
 *  - A user id says which shard holds it, and the user's home: `u<shard>-<home>_<random>`
 *    (`u<shard>_<random>` without a home; ids from before sharding, `u_<random>`, are in shard 0).
 *  - A refresh token says its shard too: `<shard>.<token>` (unprefixed tokens: shard 0).
 *  - Access tokens and tickets are verified by the shard of their subject (read before the
 *    signature check, which that shard then does in full).
 *  - Cross-shard needs: user search and the admin list ask every shard and merge; "the first
 *    registered user becomes admin" is one claim row in shard 0 (`claimFirstAdmin`), taken with one
 *    atomic INSERT after the user is stored, so exactly one registration ever wins it.
 * N must not change once accounts exist (names would hash to other shards).
 */
import { decodeJwt } from "jose";
import type { AuthResponse, PublicUser } from "../../protocol/rest.ts";
import type { Sql } from "../../actors/storage/sql.ts";
import { randomId } from "../../protocol/ids.ts";
import { AccountService, type AccountServiceOptions, type Accounts, type AdminUserView, type Principal } from "./accounts.ts";

export const MAX_SHARDS = 256;

/** FNV-1a (32 bit) of the lower-cased username, mod `shards`: stable across isolates and deploys. */
export function shardOfUsername(username: string, shards: number): number {
  let h = 0x811c9dc5;
  for (const ch of username.toLowerCase()) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}

const USER_ID = /^u(\d{1,3})?(?:-([a-z]{2,4}))?_/;

export function userIdFor(shard: number, home: string | undefined): string {
  // Only short lower-case labels are written into ids (the host validates them; this keeps ids parseable).
  const h = home && /^[a-z]{2,4}$/.test(home) ? `-${home}` : "";
  return randomId(`u${shard}${h}`);
}

/** The shard and home a user id names (legacy ids: shard 0, no home). */
export function parseUserId(id: string): { shard: number; home: string | undefined } {
  const m = USER_ID.exec(id);
  return { shard: m?.[1] === undefined ? 0 : Number(m[1]), home: m?.[2] };
}

export const FIRST_ADMIN_MIGRATIONS = [`CREATE TABLE IF NOT EXISTS directory_claims (name TEXT PRIMARY KEY, user_id TEXT NOT NULL)`];

export interface ShardedAccountsOptions extends Omit<AccountServiceOptions, "sql" | "reads" | "tickets" | "newUserId" | "claimFirstAdmin"> {
  /** One Sql per shard; shard 0 also holds the first-admin claim. */
  shards: Sql[];
}

export class ShardedAccounts implements Accounts {
  private readonly services: AccountService[];
  private readonly claims: Sql;
  /** Once the claim is seen taken it stays taken: later sign-ups skip the round trip to shard 0. */
  private firstAdminTaken = false;

  constructor(opts: ShardedAccountsOptions) {
    const n = opts.shards.length;
    if (n < 1 || n > MAX_SHARDS) throw new Error(`between 1 and ${MAX_SHARDS} account shards, not ${n}`);
    this.claims = opts.shards[0]!;
    this.services = opts.shards.map(
      (sql, shard) =>
        new AccountService({ ...opts, sql, newUserId: (home) => userIdFor(shard, home), claimFirstAdmin: (id) => this.claimFirstAdmin(id) }),
    );
  }

  get shardCount(): number {
    return this.services.length;
  }

  private byName(username: string): AccountService {
    return this.services[shardOfUsername(username, this.services.length)]!;
  }

  private byId(userId: string): AccountService {
    // An id naming a shard that does not exist belongs to no one: shard 0 answers "no such user".
    return this.services[parseUserId(userId).shard] ?? this.services[0]!;
  }

  /** `<shard>.<token>` on the way out, so refresh and logout find the shard without a lookup. */
  private tagged(shard: number, r: AuthResponse): AuthResponse {
    return { ...r, refreshToken: `${shard}.${r.refreshToken}` };
  }

  private byRefreshToken(token: string): { shard: number; service: AccountService; token: string } {
    const m = /^(\d{1,3})\.(.+)$/.exec(token);
    const shard = m ? Number(m[1]) : 0;
    const service = this.services[shard] ?? this.services[0]!;
    return { shard: this.services[shard] ? shard : 0, service, token: m ? m[2]! : token };
  }

  /** Subject of a signed token, unverified: only to pick the shard that verifies it. */
  private bySubject(token: string): AccountService {
    try {
      const sub = decodeJwt(token).sub;
      return typeof sub === "string" ? this.byId(sub) : this.services[0]!;
    } catch {
      return this.services[0]!; // malformed: shard 0's verify rejects it with the usual error
    }
  }

  private async claimFirstAdmin(userId: string): Promise<boolean> {
    if (this.firstAdminTaken) return false;
    // Deployments from before sharding already have their admin in shard 0 (the old directory).
    const row = await this.claims.first<{ user_id: string }>(
      `INSERT INTO directory_claims (name, user_id)
       SELECT 'first_admin', ? WHERE NOT EXISTS (SELECT 1 FROM users WHERE role = 'admin' AND id <> ?)
       ON CONFLICT (name) DO NOTHING RETURNING user_id`,
      [userId, userId],
    );
    if (!row) this.firstAdminTaken = true;
    return row?.user_id === userId;
  }

  async init(): Promise<void> {
    await Promise.all(this.services.map((s) => s.init()));
    await this.claims.migrate(FIRST_ADMIN_MIGRATIONS);
    // Accounts from before sharding are all in shard 0, where a name lookup over N > 1 shards would
    // not look: refuse to start rather than strand them.
    if (this.services.length > 1 && (await this.claims.first(`SELECT 1 AS legacy FROM users WHERE substr(id, 1, 2) = 'u_' LIMIT 1`)))
      throw new Error("this directory holds accounts from before sharding: keep NEXUS_DIRECTORY_SHARDS=1");
  }

  register: AccountService["register"] = async (username, ...rest) => {
    const shard = shardOfUsername(username, this.services.length);
    return this.tagged(shard, await this.services[shard]!.register(username, ...rest));
  };

  login: AccountService["login"] = async (username, ...rest) => {
    const shard = shardOfUsername(username, this.services.length);
    return this.tagged(shard, await this.services[shard]!.login(username, ...rest));
  };

  refresh: AccountService["refresh"] = async (refreshToken) => {
    const t = this.byRefreshToken(refreshToken);
    return this.tagged(t.shard, await t.service.refresh(t.token));
  };

  logout: AccountService["logout"] = async (refreshToken, everywhere) => {
    const t = this.byRefreshToken(refreshToken);
    return t.service.logout(t.token, everywhere);
  };

  whenSessionsEnd: AccountService["whenSessionsEnd"] = (listener) => {
    for (const s of this.services) s.whenSessionsEnd(listener);
  };

  verifyAccess = (token: string): Promise<Principal> => this.bySubject(token).verifyAccess(token);
  verifyTicket = (ticket: string): Promise<Principal> => this.bySubject(ticket).verifyTicket(ticket);
  issueTicket: AccountService["issueTicket"] = (p) => this.byId(p.userId).issueTicket(p);
  getUser = (id: string): Promise<PublicUser | null> => this.byId(id).getUser(id);
  findByUsername = (username: string): Promise<PublicUser | null> => this.byName(username).findByUsername(username);
  lock: AccountService["lock"] = (userId, ...rest) => this.byId(userId).lock(userId, ...rest);
  unlock: AccountService["unlock"] = (userId, ...rest) => this.byId(userId).unlock(userId, ...rest);
  deactivate: AccountService["deactivate"] = (userId) => this.byId(userId).deactivate(userId);
  reactivate: AccountService["reactivate"] = (userId) => this.byId(userId).reactivate(userId);
  resetPassword: AccountService["resetPassword"] = (userId) => this.byId(userId).resetPassword(userId);
  beginDeletion: AccountService["beginDeletion"] = (userId, ...rest) => this.byId(userId).beginDeletion(userId, ...rest);
  finishDeletion: AccountService["finishDeletion"] = (userId) => this.byId(userId).finishDeletion(userId);
  changePassword: AccountService["changePassword"] = async (userId, ...rest) =>
    this.tagged(parseUserId(userId).shard in this.services ? parseUserId(userId).shard : 0, await this.byId(userId).changePassword(userId, ...rest));
  /** The audit log is one sequence, in shard 0 (beside the first-admin claim). */
  recordAdminAction: AccountService["recordAdminAction"] = (a) => this.services[0]!.recordAdminAction(a);
  adminActions: AccountService["adminActions"] = (before, limit) => this.services[0]!.adminActions(before, limit);

  /** Every shard's first `limit` matches, merged by name: the same answer as one store gives. */
  searchUsers = async (prefix: string, limit = 20): Promise<PublicUser[]> => {
    const pages = await Promise.all(this.services.map((s) => s.searchUsers(prefix, limit)));
    return pages
      .flat()
      .sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0))
      .slice(0, Math.max(1, Math.min(limit, 100)));
  };

  /** Asks each shard for the ids it holds (a user id names its shard). */
  profiles = async (ids: readonly string[]): Promise<PublicUser[]> => {
    const byShard = new Map<AccountService, string[]>();
    for (const id of ids) {
      const s = this.byId(id);
      byShard.set(s, [...(byShard.get(s) ?? []), id]);
    }
    return (await Promise.all([...byShard].map(([s, list]) => s.profiles(list)))).flat();
  };

  updateProfile: AccountService["updateProfile"] = (userId, patch) => this.byId(userId).updateProfile(userId, patch);
  avatarOf: AccountService["avatarOf"] = (userId) => this.byId(userId).avatarOf(userId);
  storedAvatarOf: AccountService["storedAvatarOf"] = (userId) => this.byId(userId).storedAvatarOf(userId);

  /** Every shard's next `limit` matches, merged by username: one store's answer, page by page. */
  directory = async (q: string, after: string, limit: number): Promise<PublicUser[]> => {
    const pages = await Promise.all(this.services.map((s) => s.directory(q, after, limit)));
    return pages
      .flat()
      .sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0))
      .slice(0, Math.max(1, Math.min(limit, 100)));
  };

  listUsers = async (): Promise<AdminUserView[]> => {
    const pages = await Promise.all(this.services.map((s) => s.listUsers()));
    return pages.flat().sort((a, b) => a.createdAt - b.createdAt || (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  };
}
