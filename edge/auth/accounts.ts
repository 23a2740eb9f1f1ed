/**
 * Accounts: registration, login with lockout, rotating refresh tokens, access tokens and socket
 * tickets, admin lock/unlock. Written against the `Sql` interface, which may be a remote proxy shared
 * by many isolates: every state change is one atomic statement (`UPDATE … RETURNING`) or one batch.
 * Hot-path reads may go to a copy of the store (accountReads.ts; a cluster's local replica).
 */
import { NexusError } from "../../protocol/errors.ts";
import type { AuthResponse, PublicUser } from "../../protocol/rest.ts";
import type { Sql } from "../../actors/storage/sql.ts";
import {
  ACCOUNT_MIGRATIONS,
  LOCKED_FOREVER,
  USER_COLUMNS,
  effectiveRole,
  toPublicUser,
  type AdminUserView,
  type UserRow,
} from "./accountsSchema.ts";
import type { PasswordHasher } from "./passwordHasher.ts";
import { LOGIN_FAILURE_MIGRATIONS, LoginThrottle } from "./loginThrottle.ts";
import { assertAcceptablePassword } from "./passwordPolicy.ts";
import { RefreshTokens, type IssuedRefresh } from "./refreshTokens.ts";
import { TICKET_MIGRATIONS, TicketLedger } from "./ticketLedger.ts";
import { randomId } from "../../protocol/ids.ts";
import { TICKET_TTL_SECONDS, TokenSigner, type Principal, type VerifiedToken } from "./tokens.ts";
import { TokenVersionCache } from "./tokenVersionCache.ts";
import { AccountChanges, type ChangedAccount } from "./accountChanges.ts";
import { userRowOrHome, type AccountReads } from "./accountReads.ts";
import type { AccountConfig, AccountServiceOptions } from "./accountServiceOptions.ts";
import { ACCOUNT_STATE_MIGRATIONS, IS_ACTIVE, NO_PASSWORD, stateOf, type AccountStateRow } from "./accountStates.ts";
import { ADMIN_AUDIT_MIGRATIONS, AdminAudit, type AdminActionInput } from "./adminAudit.ts";
import { PROFILE_MIGRATIONS, ProfileStore, type ProfilePatch } from "./profiles.ts";

export type { Principal, AccountRole } from "./tokens.ts";
export type { AdminUserView } from "./accountsSchema.ts";
export type { AccountConfig, AccountServiceOptions } from "./accountServiceOptions.ts";

/** What the edge uses of an account service (AccountService, or one spread over shards). */
export type Accounts = { [K in keyof AccountService]: AccountService[K] };

export type SessionsEnded = (userId: string, session: string | null) => Promise<void>;

/** Every table of the account service, in order (a host migrates the home before it opens a replica of it). */
export const ACCOUNTS_SCHEMA = [...ACCOUNT_MIGRATIONS, ...LOGIN_FAILURE_MIGRATIONS, ...TICKET_MIGRATIONS, ...ACCOUNT_STATE_MIGRATIONS,
  ...ADMIN_AUDIT_MIGRATIONS, ...PROFILE_MIGRATIONS];

export class AccountService {
  private readonly sql: Sql;
  private readonly reads: AccountReads;
  private readonly ticketStore: Sql;
  private readonly ledger: string | undefined;
  private readonly config: AccountConfig;
  private readonly hasher: PasswordHasher;
  private readonly now: () => number;
  private readonly newUserId: (home: string | undefined) => string;
  private readonly claimFirstAdmin: AccountServiceOptions["claimFirstAdmin"];
  private readonly signer: TokenSigner;
  private readonly refreshTokens: RefreshTokens;
  private readonly versions: TokenVersionCache;
  /** Family → revoked? Logout on this isolate drops the entry at once; others see it within authCacheMs. */
  private readonly families: TokenVersionCache<boolean>;
  private readonly tickets: TicketLedger;
  private readonly throttle: LoginThrottle;
  /** Password change, deletion, deactivation, reset (accountChanges.ts). */
  private readonly changes: AccountChanges;
  private readonly audit: AdminAudit;
  private readonly people: ProfileStore;
  /** Hash verified for unknown usernames, so "no such user" costs as long as a wrong password. */
  private dummyHash: Promise<string> | undefined;
  /** Told when sessions end here (logout, refresh reuse, "log out everywhere"); see whenSessionsEnd. */
  private sessionEnded: SessionsEnded | null = null;

  constructor(opts: AccountServiceOptions) {
    this.sql = opts.sql;
    this.reads = opts.reads ?? opts.sql;
    this.ticketStore = opts.tickets?.sql ?? opts.sql;
    this.ledger = opts.tickets?.ledger;
    this.config = opts.config;
    this.hasher = opts.hasher;
    this.now = opts.now ?? Date.now;
    this.newUserId = opts.newUserId ?? (() => randomId("u"));
    this.claimFirstAdmin = opts.claimFirstAdmin;
    this.signer = new TokenSigner(opts.config.jwtSecret, this.now);
    this.refreshTokens = new RefreshTokens({
      sql: this.sql,
      reads: this.reads,
      ttlMs: opts.config.refreshTtlSeconds * 1000,
      now: this.now,
      onRevoked: (f, userId) => {
        this.families.invalidate(f);
        return this.sessionEnded?.(userId, f);
      },
      signer: opts.firstRefreshSigned ? this.signer : undefined,
    });
    this.versions = new TokenVersionCache(opts.config.authCacheMs, this.now);
    this.families = new TokenVersionCache<boolean>(opts.config.authCacheMs, this.now);
    // What was cached from older reads goes once the copy caught up with a change made elsewhere.
    this.reads.onCaughtUp?.(() => {
      this.versions.clear();
      this.families.clear();
    });
    this.tickets = new TicketLedger(this.ticketStore, this.now);
    this.people = new ProfileStore(this.sql, this.reads, opts.config.adminUsernames, this.now);
    this.throttle = new LoginThrottle(
      this.sql,
      this.reads,
      { maxFailures: opts.config.maxFailedLogins, lockoutMs: opts.config.lockoutMinutes * 60_000 },
      this.now,
    );
    this.changes = new AccountChanges({
      sql: this.sql,
      hasher: this.hasher,
      now: this.now,
      refreshTokens: this.refreshTokens,
      throttle: this.throttle,
      invalidate: (id) => this.versions.invalidate(id),
      startSession: (row) => this.startSession(row, row.token_version),
    });
    this.audit = new AdminAudit(this.sql, this.now);
  }

  async init(): Promise<void> {
    await this.sql.migrate(ACCOUNTS_SCHEMA);
    if (this.ticketStore !== this.sql) await this.ticketStore.migrate(TICKET_MIGRATIONS);
    // Housekeeping behind the start: in a cluster these write to the accounts' home (a WAN away, maybe down).
    void Promise.all([this.refreshTokens.purgeExpired(), this.throttle.purge(), this.tickets.purge()]).catch((e) => console.warn(`[accounts] purge failed: ${String(e)}`));
  }

  /** `home`: where the host says the user signed up from (an opaque label for newUserId). */
  async register(username: string, password: string, home?: string): Promise<AuthResponse> {
    const name = username.toLowerCase();
    assertAcceptablePassword(password, name);
    const hash = await this.hasher.hash(password);
    // First user (or a configured admin name) becomes admin; decided inside the INSERT so two
    // concurrent first registrations cannot both win (or by claimFirstAdmin, see the options).
    let row = await this.sql.first<UserRow>(
      `INSERT INTO users (id, username, password_hash, role, created_at)
       SELECT ?, ?, ?, CASE WHEN ? = 1 OR (? = 1 AND NOT EXISTS (SELECT 1 FROM users)) THEN 'admin' ELSE 'user' END, ?
       WHERE true
       ON CONFLICT (username) DO NOTHING
       RETURNING ${USER_COLUMNS}`,
      [this.newUserId(home), name, hash, this.config.adminUsernames.includes(name) ? 1 : 0, this.claimFirstAdmin ? 0 : 1, this.now()],
    );
    if (!row) throw new NexusError("conflict", "username is taken");
    // Promoted before any token is signed, so the first session already carries the admin role.
    if (this.claimFirstAdmin && row.role !== "admin" && (await this.claimFirstAdmin(row.id)))
      row = (await this.sql.first<UserRow>(`UPDATE users SET role = 'admin' WHERE id = ? RETURNING ${USER_COLUMNS}`, [row.id])) ?? row;
    return this.startSession(row, row.token_version);
  }

  /**
   * `ip` is the client's address (edge/middleware/rateLimit.ts clientIp). Failures count per
   * (name, ip) and per name (loginThrottle.ts); every step runs the same statements whether or not
   * the name exists, so the answer never tells. An admin lock is only revealed to the right password.
   */
  async login(username: string, password: string, ip = "unknown", newPassword?: string): Promise<AuthResponse> {
    const name = username.toLowerCase();
    const from = ip || "unknown";
    await this.throttle.check(name, from);
    const row = await this.findRow(name);
    const hash = row?.password_hash ?? (await (this.dummyHash ??= this.hasher.hash("not-a-real-password")));
    const verified = await this.hasher.verify(password, hash);
    if (!verified || !row) throw await this.throttle.failed(name, from);
    const state = await this.reads.first<AccountStateRow>(
      `SELECT deactivated_at, deleted_at, temp_password_until FROM account_states WHERE user_id = ?`, [row.id]);
    if (stateOf(state) === "deactivated")
      throw new NexusError("account_locked", "account is deactivated by an admin", { until: LOCKED_FOREVER, indefinite: true, scope: "deactivated" });
    if (row.locked_until !== null && row.locked_until > this.now()) throw this.locked(row.locked_until);
    await this.throttle.succeeded(name, from);
    // A temporary password an admin set only serves to choose a new one (accountChanges.ts).
    if (state?.temp_password_until != null) return this.changes.finishTemporary(row, Number(state.temp_password_until), newPassword);
    return this.startSession(row, row.token_version);
  }

  async refresh(refreshToken: string): Promise<AuthResponse> {
    const { token, family, user } = await this.refreshTokens.rotate(refreshToken);
    return this.respond(user, user.token_version, { token, family });
  }

  /** Ends the session of `refreshToken` (its refresh and access tokens), or with `everywhere` every
   *  session of its user (all refresh families revoked, token_version bumped). Unknown tokens, and
   *  for `everywhere` tokens no longer valid, are ignored. */
  async logout(refreshToken: string, everywhere = false): Promise<void> {
    if (!everywhere) return this.refreshTokens.revokeFamily(refreshToken);
    const userId = await this.refreshTokens.userOf(refreshToken);
    if (!userId) return;
    await this.sql.batch([
      { sql: "UPDATE users SET token_version = token_version + 1 WHERE id = ?", args: [userId] },
      this.refreshTokens.revokeUserStatement(userId),
    ]);
    this.versions.invalidate(userId);
    await this.sessionEnded?.(userId, null);
  }

  /** `listener` runs when sessions end (the app closes their sockets: edge/routes/userSockets.ts);
   *  `session` is the ended refresh family, or null for all of the user's. Awaited by the logout. */
  whenSessionsEnd(listener: SessionsEnded): void {
    this.sessionEnded = listener;
  }

  /** Bearer access token → Principal. Rejects tokens issued before an admin lock. */
  async verifyAccess(token: string): Promise<Principal> {
    return this.checkVersion(await this.signer.verify(token, "api"));
  }

  async issueTicket(p: Principal): Promise<{ ticket: string; expiresIn: number }> {
    const version = await this.currentVersion(p.userId);
    if (version === null) throw new NexusError("unauthorized", "no such user");
    return { ticket: await this.signer.sign(p, version, "ws", TICKET_TTL_SECONDS, randomId("t"), this.ledger), expiresIn: TICKET_TTL_SECONDS };
  }

  /** Verifies and spends a ticket: it opens one socket (ticketLedger.ts). */
  async verifyTicket(ticket: string): Promise<Principal> {
    const t = await this.signer.verify(ticket, "ws");
    if (this.ledger !== undefined && t.ledger !== this.ledger)
      throw new NexusError("unauthorized", "ticket was issued by another server group; get a new one here");
    const principal = await this.checkVersion(t);
    // Spent only once valid, so garbage cannot fill the ledger. Kept 1 s past the token's expiry.
    if (!t.jti || !(await this.tickets.spend(t.jti, this.now() + (TICKET_TTL_SECONDS + 1) * 1000)))
      throw new NexusError("unauthorized", "ticket already used; get a new one");
    return principal;
  }

  async getUser(id: string): Promise<PublicUser | null> {
    const row = await userRowOrHome<UserRow>(this.reads, this.sql, `SELECT ${USER_COLUMNS} FROM users WHERE id = ? AND password_hash <> ?`, [id, NO_PASSWORD]);
    return row ? toPublicUser(row, this.config.adminUsernames) : null;
  }

  /** Deactivated and deleted accounts are not found by name (no new chats, no adding to groups). */
  async findByUsername(username: string): Promise<PublicUser | null> {
    const row = await userRowOrHome<UserRow>(this.reads, this.sql, `SELECT ${USER_COLUMNS} FROM users WHERE username = ? AND ${IS_ACTIVE("users")}`, [username.toLowerCase()]);
    return row ? toPublicUser(row, this.config.adminUsernames) : null;
  }

  /** Users whose name starts with `prefix` (index range scan; no LIKE wildcards to escape). */
  async searchUsers(prefix: string, limit = 20): Promise<PublicUser[]> {
    const p = prefix.toLowerCase();
    const rows = await this.reads.all<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users WHERE username >= ? AND username < ? AND ${IS_ACTIVE("users")} ORDER BY username LIMIT ?`,
      [p, p + "\uffff", Math.max(1, Math.min(limit, 100))],
    );
    return rows.map((r) => toPublicUser(r, this.config.adminUsernames));
  }

  /** Public profiles (profiles.ts): of these users, unknown ids left out. */
  profiles(ids: readonly string[]): Promise<PublicUser[]> {
    return this.people.users(ids);
  }

  /** Sets display name / status / avatar version; null when the user does not exist. */
  updateProfile(userId: string, patch: ProfilePatch): Promise<PublicUser | null> {
    return this.people.update(userId, patch);
  }

  avatarOf(userId: string): Promise<string | null> {
    return this.people.avatarOf(userId);
  }

  storedAvatarOf(userId: string): Promise<string | null> {
    return this.people.storedAvatarOf(userId);
  }

  /** The directory: visible users whose username or display name contains `q`, after `after`. */
  directory(q: string, after: string, limit: number): Promise<PublicUser[]> {
    return this.people.search(q, after, Math.max(1, Math.min(limit, 100)));
  }

  async listUsers(): Promise<AdminUserView[]> {
    const now = this.now();
    const rows = await this.sql.all<UserRow & AccountStateRow & { ip_locked_until: number | null }>(
      `SELECT ${USER_COLUMNS}, s.deactivated_at, s.deleted_at, s.temp_password_until,
         (SELECT MAX(blocked_until) FROM login_failures f WHERE f.username = users.username AND f.ip <> '') AS ip_locked_until
       FROM users LEFT JOIN account_states s ON s.user_id = users.id ORDER BY created_at, username`,
    );
    const failures = await this.throttle.recentFailures();
    // lockedUntil: the admin lock, else the latest lockout of an address after failed logins
    // (unlock clears both), so the admin sees who is being guessed at.
    const until = (r: (typeof rows)[number]) =>
      [r.locked_until, r.ip_locked_until].map((t) => (t !== null && Number(t) > now ? Number(t) : null)).find((t) => t !== null) ?? null;
    return rows.map((r) => ({
      ...toPublicUser(r, this.config.adminUsernames),
      lockedUntil: until(r),
      failedLogins: failures.get(r.username) ?? 0,
      state: stateOf(r),
      ...(r.temp_password_until != null && Number(r.temp_password_until) > now ? { temporaryPasswordUntil: Number(r.temp_password_until) } : {}),
    }));
  }

  /** Admin lock: refuses logins, and kills every session (token_version bump + refresh revocation). */
  async lock(userId: string, minutes?: number): Promise<{ until: number }> {
    const until = minutes === undefined ? LOCKED_FOREVER : this.now() + minutes * 60_000;
    await this.sql.batch([
      // A deactivated or deleted account stays locked forever (accountStates.ts).
      {
        sql: `UPDATE users SET locked_until = CASE WHEN ${IS_ACTIVE("users")} THEN ? ELSE locked_until END, failed_logins = 0,
              token_version = token_version + 1 WHERE id = ?`,
        args: [until, userId],
      },
      this.refreshTokens.revokeUserStatement(userId),
    ]);
    this.versions.invalidate(userId);
    if (!(await this.getUser(userId))) throw new NexusError("not_found", "no such user");
    return { until };
  }

  /** Ends an admin lock and every failed-login lockout and counter of the user's name. */
  async unlock(userId: string): Promise<void> {
    const row = await this.sql.first<{ username: string }>(
      `UPDATE users SET locked_until = CASE WHEN ${IS_ACTIVE("users")} THEN NULL ELSE locked_until END, failed_logins = 0 WHERE id = ? RETURNING username`,
      [userId],
    );
    if (!row) throw new NexusError("not_found", "no such user");
    await this.throttle.clear(row.username);
  }

  // ---------------------------------------------------------- account changes (accountChanges.ts)

  /** Every session ends, this one too: the answer is a fresh session. `ip` counts wrong passwords. */
  changePassword(userId: string, currentPassword: string, newPassword: string, ip = "unknown"): Promise<AuthResponse> {
    return this.changes.changePassword(userId, currentPassword, newPassword, ip || "unknown");
  }

  /** Deleting an account: step 1 (password checked, stamped, no new sessions); see accountChanges.ts. */
  beginDeletion(userId: string, password: string, ip = "unknown"): Promise<ChangedAccount> {
    return this.changes.beginDeletion(userId, password, ip || "unknown");
  }

  /** Deleting an account: last step, after its groups are left (edge/routes/accountRoutes.ts). */
  finishDeletion(userId: string): Promise<void> {
    return this.changes.finishDeletion(userId);
  }

  deactivate(userId: string): Promise<ChangedAccount> {
    return this.changes.deactivate(userId);
  }

  reactivate(userId: string): Promise<ChangedAccount> {
    return this.changes.reactivate(userId);
  }

  resetPassword(userId: string): ReturnType<AccountChanges["resetPassword"]> {
    return this.changes.resetPassword(userId);
  }

  /** Appends to the admin audit log (adminAudit.ts). */
  recordAdminAction(a: AdminActionInput): Promise<void> {
    return this.audit.append(a);
  }

  adminActions(before: number | undefined, limit: number): ReturnType<AdminAudit["page"]> {
    return this.audit.page(before, limit);
  }

  private findRow(username: string): Promise<UserRow | undefined> {
    return userRowOrHome<UserRow>(this.reads, this.sql, `SELECT ${USER_COLUMNS} FROM users WHERE username = ?`, [username]);
  }

  /** `signed`: the version a verified token carries, trusted when storage cannot be reached and
   *  nothing newer is known (a lock then takes effect once storage answers; docs/operations.md). */
  private currentVersion(userId: string, signed?: number): Promise<number | null> {
    return this.versions.get(userId, async () => {
      const r = await userRowOrHome<{ token_version: number }>(this.reads, this.sql, `SELECT token_version FROM users WHERE id = ?`, [userId]);
      return r ? Number(r.token_version) : null;
    }, signed === undefined ? undefined : () => signed);
  }

  private async checkVersion(t: VerifiedToken): Promise<Principal> {
    const version = await this.currentVersion(t.userId, t.tokenVersion);
    if (version === null || version !== t.tokenVersion) throw new NexusError("unauthorized", "session revoked");
    // Tokens from before families were stamped in (none after one access-token lifetime) have none.
    if (t.family !== undefined && (await this.families.get(t.family, () => this.refreshTokens.isRevoked(t.family!), () => false)))
      throw new NexusError("unauthorized", "session ended (logged out)");
    return { userId: t.userId, username: t.username, role: t.role, ...(t.family ? { family: t.family } : {}) };
  }

  private async startSession(row: UserRow, tokenVersion: number): Promise<AuthResponse> {
    return this.respond(row, tokenVersion, await this.refreshTokens.issue(row.id, tokenVersion));
  }

  private async respond(
    row: Pick<UserRow, "id" | "username" | "role" | "created_at">,
    tokenVersion: number,
    refresh: IssuedRefresh,
  ): Promise<AuthResponse> {
    const user = toPublicUser(row, this.config.adminUsernames);
    const role = effectiveRole(row, this.config.adminUsernames);
    const principal: Principal = { userId: row.id, username: row.username, role, family: refresh.family };
    const accessToken = await this.signer.sign(principal, tokenVersion, "api", this.config.accessTtlSeconds);
    return { user, accessToken, accessExpiresIn: this.config.accessTtlSeconds, refreshToken: refresh.token };
  }

  private locked(until: number): NexusError {
    return new NexusError("account_locked", "account is locked by an admin", {
      until: Number(until),
      indefinite: until >= LOCKED_FOREVER,
      scope: "account",
    });
  }
}
