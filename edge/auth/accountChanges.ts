/**
 * Changes to an account after sign-up (issue #20): the owner changes the password or deletes the
 * account; an admin deactivates, reactivates or resets the password. AccountService delegates here.
 *
 * Every change that must end sessions bumps `token_version` (every access token, ticket and
 * refresh token carries the version it was issued under) and revokes the refresh tokens, in one
 * batch with the change itself, so no session outlives it on any node beyond AUTH_CACHE_MS.
 * Closing open sockets is the caller's part (edge/routes/accountRoutes.ts), as for an admin lock.
 * The Sql may be a remote proxy shared by many isolates: each change is one atomic statement or batch.
 */
import { NexusError } from "../../protocol/errors.ts";
import type { AuthResponse } from "../../protocol/rest.ts";
import type { Sql } from "../../actors/storage/sql.ts";
import { LOCKED_FOREVER, USER_COLUMNS, type UserRow } from "./accountsSchema.ts";
import {
  NO_PASSWORD,
  TEMP_PASSWORD_TTL_MS,
  stampStatement,
  stateOf,
  temporaryPassword,
  type AccountState,
  type AccountStateRow,
} from "./accountStates.ts";
import type { LoginThrottle } from "./loginThrottle.ts";
import type { PasswordHasher } from "./passwordHasher.ts";
import { assertAcceptablePassword } from "./passwordPolicy.ts";
import type { RefreshTokens } from "./refreshTokens.ts";

export interface AccountChangesDeps {
  sql: Sql;
  hasher: PasswordHasher;
  now: () => number;
  refreshTokens: RefreshTokens;
  throttle: LoginThrottle;
  /** A user's sessions ended: drop the cached token version. */
  invalidate: (userId: string) => void;
  startSession: (row: UserRow) => Promise<AuthResponse>;
}

/** Who was changed, for the audit log and for closing sockets. */
export interface ChangedAccount {
  id: string;
  username: string;
}

export class AccountChanges {
  constructor(private readonly d: AccountChangesDeps) {}

  async stateRow(userId: string): Promise<AccountStateRow | undefined> {
    return this.d.sql.first<AccountStateRow>(
      `SELECT deactivated_at, deleted_at, temp_password_until FROM account_states WHERE user_id = ?`,
      [userId],
    );
  }

  async state(userId: string): Promise<AccountState> {
    return stateOf(await this.stateRow(userId));
  }

  /**
   * The owner's password is right (re-entered for a change or a deletion). Wrong ones count toward
   * the name's slow-down like failed logins (loginThrottle.ts failedReentry), so a stolen access
   * token cannot be used to guess faster than logins can. A wrong one is 403 (not 401: the session is fine).
   */
  private async verifyOwner(row: UserRow, password: string, ip: string): Promise<void> {
    await this.d.throttle.check(row.username, ip);
    if (await this.d.hasher.verify(password, row.password_hash)) return;
    await this.d.throttle.failedReentry(row.username);
    throw new NexusError("forbidden", "the current password is wrong", { reason: "wrong_password" });
  }

  private async row(userId: string): Promise<UserRow> {
    const row = await this.d.sql.first<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [userId]);
    if (!row || row.password_hash === NO_PASSWORD) throw new NexusError("not_found", "no such user");
    return row;
  }

  /**
   * Sets `hash` as the password if it is still `expected` (a concurrent change wins once), ends
   * every session and clears a temporary password. Returns the updated row, or null if it lost.
   */
  private async setPassword(userId: string, expected: string, hash: string, temporaryUntil: number | null): Promise<UserRow | null> {
    const row = await this.d.sql.first<UserRow>(
      `UPDATE users SET password_hash = ?, token_version = token_version + 1 WHERE id = ? AND password_hash = ? RETURNING ${USER_COLUMNS}`,
      [hash, userId, expected],
    );
    if (!row) return null;
    this.d.invalidate(userId);
    await this.d.sql.batch([
      this.d.refreshTokens.revokeUserStatement(userId),
      {
        sql: `INSERT INTO account_states (user_id, temp_password_until) VALUES (?, ?)
              ON CONFLICT (user_id) DO UPDATE SET temp_password_until = excluded.temp_password_until`,
        args: [userId, temporaryUntil],
      },
    ]);
    return row;
  }

  /** POST /v1/me/password: every session ends (this one too) and a fresh one is returned. */
  async changePassword(userId: string, current: string, next: string, ip: string): Promise<AuthResponse> {
    const row = await this.row(userId);
    await this.verifyOwner(row, current, ip);
    assertAcceptablePassword(next, row.username);
    if (next === current)
      throw new NexusError("bad_request", "invalid body: newPassword: must differ from the current password", {
        reason: "same_password",
        issues: [{ path: "newPassword", message: "must differ from the current password" }],
      });
    const updated = await this.setPassword(userId, row.password_hash, await this.d.hasher.hash(next), null);
    if (!updated) throw new NexusError("conflict", "the password was changed meanwhile; sign in again");
    return this.d.startSession(updated);
  }

  /**
   * Login with a temporary password (already verified): without `next` it is refused with
   * `password_change_required`; with `next` that becomes the password and a session starts.
   */
  async finishTemporary(row: UserRow, until: number, next: string | undefined): Promise<AuthResponse> {
    if (until <= this.d.now())
      throw new NexusError("invalid_credentials", "the temporary password has expired; ask an admin for a new one", { reason: "temporary_expired" });
    if (next === undefined)
      throw new NexusError("password_change_required", "this is a temporary password: choose a new one (newPassword)", { expiresAt: until });
    assertAcceptablePassword(next, row.username);
    const updated = await this.setPassword(row.id, row.password_hash, await this.d.hasher.hash(next), null);
    if (!updated) throw new NexusError("invalid_credentials", "wrong username or password");
    return this.d.startSession(updated);
  }

  /**
   * DELETE /v1/me, step 1: the password is checked (unless the deletion already began: a retry
   * resumes it), then in one batch the account is stamped deleted, its password made unusable,
   * locked forever (left out wherever locked accounts are) and its refresh tokens revoked. Access
   * tokens still work until `finishDeletion`, so a retry after a crash can finish the clean-up.
   */
  async beginDeletion(userId: string, password: string, ip: string): Promise<ChangedAccount> {
    const row = await this.d.sql.first<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [userId]);
    if (!row) throw new NexusError("not_found", "no such user");
    if ((await this.state(userId)) !== "deleted") await this.verifyOwner(row, password, ip);
    await this.d.sql.batch([
      stampStatement(userId, "deleted_at", this.d.now()),
      { sql: `UPDATE users SET password_hash = ?, locked_until = ? WHERE id = ?`, args: [NO_PASSWORD, LOCKED_FOREVER, userId] },
      this.d.refreshTokens.revokeUserStatement(userId),
    ]);
    return { id: row.id, username: row.username };
  }

  /** DELETE /v1/me, last step: every access token and ticket of the account is refused from now. */
  async finishDeletion(userId: string): Promise<void> {
    await this.d.sql.run(`UPDATE users SET token_version = token_version + 1 WHERE id = ?`, [userId]);
    this.d.invalidate(userId);
  }

  /** Admin: the user cannot log in, every session ends; shown as deactivated. Idempotent. */
  async deactivate(userId: string): Promise<ChangedAccount> {
    const row = await this.row(userId);
    await this.d.sql.batch([
      stampStatement(userId, "deactivated_at", this.d.now()),
      { sql: `UPDATE users SET locked_until = ?, token_version = token_version + 1 WHERE id = ?`, args: [LOCKED_FOREVER, userId] },
      this.d.refreshTokens.revokeUserStatement(userId),
    ]);
    this.d.invalidate(userId);
    return { id: row.id, username: row.username };
  }

  /** Admin: undoes a deactivation (not a deletion). Idempotent. */
  async reactivate(userId: string): Promise<ChangedAccount> {
    const row = await this.row(userId);
    await this.d.sql.batch([
      { sql: `UPDATE account_states SET deactivated_at = NULL WHERE user_id = ? AND deleted_at IS NULL`, args: [userId] },
      { sql: `UPDATE users SET locked_until = NULL, failed_logins = 0 WHERE id = ?`, args: [userId] },
    ]);
    return { id: row.id, username: row.username };
  }

  /**
   * Admin: a new random password, usable only to choose another at the next login within
   * TEMP_PASSWORD_TTL_MS; every session ends. The plaintext is returned once and never stored.
   */
  async resetPassword(userId: string): Promise<ChangedAccount & { temporaryPassword: string; expiresAt: number }> {
    const row = await this.row(userId);
    const temporary = temporaryPassword();
    const expiresAt = this.d.now() + TEMP_PASSWORD_TTL_MS;
    if (!(await this.setPassword(userId, row.password_hash, await this.d.hasher.hash(temporary), expiresAt)))
      throw new NexusError("conflict", "the password was changed meanwhile; try again");
    return { id: row.id, username: row.username, temporaryPassword: temporary, expiresAt };
  }
}
