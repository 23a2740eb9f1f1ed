/**
 * Accounts: registration, login with lockout, rotating refresh tokens, access tokens and socket
 * tickets, admin lock/unlock. Written against the `Sql` interface, which may be a remote proxy shared
 * by many isolates: every state change is one atomic statement (`UPDATE … RETURNING`) or one batch.
 */
import { NexusError } from "../../protocol/errors.ts";
import type { AuthResponse, PublicUser } from "../../protocol/rest.ts";
import type { Sql } from "../../actors/storage/sql.ts";
import type { EdgeConfig } from "../config.ts";
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
import { RefreshTokens } from "./refreshTokens.ts";
import { randomId } from "../../protocol/ids.ts";
import { TICKET_TTL_SECONDS, TokenSigner, type Principal } from "./tokens.ts";
import { TokenVersionCache } from "./tokenVersionCache.ts";

export type { Principal, AccountRole } from "./tokens.ts";
export type { AdminUserView } from "./accountsSchema.ts";

export type AccountConfig = Pick<
  EdgeConfig,
  "jwtSecret" | "accessTtlSeconds" | "refreshTtlSeconds" | "maxFailedLogins" | "lockoutMinutes" | "adminUsernames" | "authCacheMs"
>;

export interface AccountServiceOptions {
  sql: Sql;
  config: AccountConfig;
  /** The host's hasher (hosts/shared/scryptPasswords.ts on every host today). */
  hasher: PasswordHasher;
  /** Injectable clock (ms) so tests can step past a lockout. */
  now?: () => number;
}

export class AccountService {
  private readonly sql: Sql;
  private readonly config: AccountConfig;
  private readonly hasher: PasswordHasher;
  private readonly now: () => number;
  private readonly signer: TokenSigner;
  private readonly refreshTokens: RefreshTokens;
  private readonly versions: TokenVersionCache;
  /** Hash verified for unknown usernames, so "no such user" costs as long as a wrong password. */
  private dummyHash: Promise<string> | undefined;

  constructor(opts: AccountServiceOptions) {
    this.sql = opts.sql;
    this.config = opts.config;
    this.hasher = opts.hasher;
    this.now = opts.now ?? Date.now;
    this.signer = new TokenSigner(opts.config.jwtSecret, this.now);
    this.refreshTokens = new RefreshTokens(this.sql, opts.config.refreshTtlSeconds * 1000, this.now);
    this.versions = new TokenVersionCache(opts.config.authCacheMs, this.now);
  }

  async init(): Promise<void> {
    await this.sql.migrate(ACCOUNT_MIGRATIONS);
    await this.refreshTokens.purgeExpired();
  }

  async register(username: string, password: string): Promise<AuthResponse> {
    const name = username.toLowerCase();
    const hash = await this.hasher.hash(password);
    // First user (or a configured admin name) becomes admin; decided inside the INSERT so two
    // concurrent first registrations cannot both win.
    const row = await this.sql.first<UserRow>(
      `INSERT INTO users (id, username, password_hash, role, created_at)
       SELECT ?, ?, ?, CASE WHEN ? = 1 OR NOT EXISTS (SELECT 1 FROM users) THEN 'admin' ELSE 'user' END, ?
       WHERE true
       ON CONFLICT (username) DO NOTHING
       RETURNING ${USER_COLUMNS}`,
      [randomId("u"), name, hash, this.config.adminUsernames.includes(name) ? 1 : 0, this.now()],
    );
    if (!row) throw new NexusError("conflict", "username is taken");
    return this.startSession(row, row.token_version);
  }

  async login(username: string, password: string): Promise<AuthResponse> {
    const name = username.toLowerCase();
    const row = await this.findRow(name);
    if (!row) {
      await this.hasher.verify(password, await (this.dummyHash ??= this.hasher.hash("not-a-real-password")));
      throw new NexusError("invalid_credentials", "wrong username or password");
    }
    const now = this.now();
    if (row.locked_until !== null && row.locked_until > now) throw this.locked(row.locked_until);

    if (await this.hasher.verify(password, row.password_hash)) {
      // Reset the counter, unless a lock landed meanwhile (then no row comes back).
      const ok = await this.sql.first<UserRow>(
        `UPDATE users SET failed_logins = 0, locked_until = NULL
         WHERE id = ? AND (locked_until IS NULL OR locked_until <= ?) RETURNING ${USER_COLUMNS}`,
        [row.id, now],
      );
      if (!ok) throw this.locked((await this.findRow(name))?.locked_until ?? now);
      return this.startSession(ok, ok.token_version);
    }

    const max = this.config.maxFailedLogins;
    const until = now + this.config.lockoutMinutes * 60_000;
    // One statement: count the failure and lock on the max-th, resetting the counter for after.
    const after = await this.sql.first<{ failed_logins: number; locked_until: number | null }>(
      `UPDATE users SET
         locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END,
         failed_logins = CASE WHEN failed_logins + 1 >= ? THEN 0 ELSE failed_logins + 1 END
       WHERE id = ? AND (locked_until IS NULL OR locked_until <= ?)
       RETURNING failed_logins, locked_until`,
      [max, until, max, row.id, now],
    );
    if (!after) throw this.locked((await this.findRow(name))?.locked_until ?? until);
    if (after.locked_until !== null && after.locked_until > now) throw this.locked(after.locked_until);
    throw new NexusError("invalid_credentials", "wrong username or password");
  }

  async refresh(refreshToken: string): Promise<AuthResponse> {
    const { token, user } = await this.refreshTokens.rotate(refreshToken);
    return this.respond(user, user.token_version, token);
  }

  async logout(refreshToken: string): Promise<void> {
    await this.refreshTokens.revokeFamily(refreshToken);
  }

  /** Bearer access token → Principal. Rejects tokens issued before an admin lock. */
  async verifyAccess(token: string): Promise<Principal> {
    return this.checkVersion(await this.signer.verify(token, "api"));
  }

  async issueTicket(p: Principal): Promise<{ ticket: string; expiresIn: number }> {
    const version = await this.currentVersion(p.userId);
    if (version === null) throw new NexusError("unauthorized", "no such user");
    return { ticket: await this.signer.sign(p, version, "ws", TICKET_TTL_SECONDS), expiresIn: TICKET_TTL_SECONDS };
  }

  async verifyTicket(ticket: string): Promise<Principal> {
    return this.checkVersion(await this.signer.verify(ticket, "ws"));
  }

  async getUser(id: string): Promise<PublicUser | null> {
    const row = await this.sql.first<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [id]);
    return row ? toPublicUser(row, this.config.adminUsernames) : null;
  }

  async findByUsername(username: string): Promise<PublicUser | null> {
    const row = await this.findRow(username.toLowerCase());
    return row ? toPublicUser(row, this.config.adminUsernames) : null;
  }

  /** Users whose name starts with `prefix` (index range scan; no LIKE wildcards to escape). */
  async searchUsers(prefix: string, limit = 20): Promise<PublicUser[]> {
    const p = prefix.toLowerCase();
    const rows = await this.sql.all<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users WHERE username >= ? AND username < ? ORDER BY username LIMIT ?`,
      [p, p + "\uffff", Math.max(1, Math.min(limit, 100))],
    );
    return rows.map((r) => toPublicUser(r, this.config.adminUsernames));
  }

  async listUsers(): Promise<AdminUserView[]> {
    const now = this.now();
    const rows = await this.sql.all<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY created_at, username`);
    return rows.map((r) => ({
      ...toPublicUser(r, this.config.adminUsernames),
      lockedUntil: r.locked_until !== null && r.locked_until > now ? Number(r.locked_until) : null,
      failedLogins: Number(r.failed_logins),
    }));
  }

  /** Admin lock: refuses logins, and kills every session (token_version bump + refresh revocation). */
  async lock(userId: string, minutes?: number): Promise<{ until: number }> {
    const until = minutes === undefined ? LOCKED_FOREVER : this.now() + minutes * 60_000;
    await this.sql.batch([
      { sql: `UPDATE users SET locked_until = ?, failed_logins = 0, token_version = token_version + 1 WHERE id = ?`, args: [until, userId] },
      this.refreshTokens.revokeUserStatement(userId),
    ]);
    this.versions.invalidate(userId);
    if (!(await this.getUser(userId))) throw new NexusError("not_found", "no such user");
    return { until };
  }

  async unlock(userId: string): Promise<void> {
    const { changes } = await this.sql.run(`UPDATE users SET locked_until = NULL, failed_logins = 0 WHERE id = ?`, [userId]);
    if (changes === 0) throw new NexusError("not_found", "no such user");
  }

  private findRow(username: string): Promise<UserRow | undefined> {
    return this.sql.first<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`, [username]);
  }

  private currentVersion(userId: string): Promise<number | null> {
    return this.versions.get(userId, async () => {
      const r = await this.sql.first<{ token_version: number }>(`SELECT token_version FROM users WHERE id = ?`, [userId]);
      return r ? Number(r.token_version) : null;
    });
  }

  private async checkVersion(t: { userId: string; username: string; role: Principal["role"]; tokenVersion: number }): Promise<Principal> {
    const version = await this.currentVersion(t.userId);
    if (version === null || version !== t.tokenVersion) throw new NexusError("unauthorized", "session revoked");
    return { userId: t.userId, username: t.username, role: t.role };
  }

  private async startSession(row: UserRow, tokenVersion: number): Promise<AuthResponse> {
    return this.respond(row, tokenVersion, await this.refreshTokens.issue(row.id, tokenVersion));
  }

  private async respond(
    row: Pick<UserRow, "id" | "username" | "role" | "created_at">,
    tokenVersion: number,
    refreshToken: string,
  ): Promise<AuthResponse> {
    const user = toPublicUser(row, this.config.adminUsernames);
    const principal: Principal = { userId: row.id, username: row.username, role: effectiveRole(row, this.config.adminUsernames) };
    const accessToken = await this.signer.sign(principal, tokenVersion, "api", this.config.accessTtlSeconds);
    return { user, accessToken, accessExpiresIn: this.config.accessTtlSeconds, refreshToken };
  }

  private locked(until: number): NexusError {
    return new NexusError("account_locked", "account is locked", { until: Number(until), indefinite: until >= LOCKED_FOREVER });
  }
}
