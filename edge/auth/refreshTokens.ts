/**
 * Opaque, rotating refresh tokens. Only SHA-256 hashes are stored. Each login starts a family;
 * every refresh spends one token and issues its successor in the same family. Presenting a spent
 * token again means it leaked (or a client raced itself): the whole family is revoked.
 *
 * The Sql may be a remote proxy shared by many isolates, so each state change is one atomic
 * statement or one batch — never a read followed by a dependent write.
 */
import { NexusError } from "../../protocol/errors.ts";
import { randomId, randomToken, sha256Hex } from "../../protocol/ids.ts";
import type { Sql } from "../../actors/storage/sql.ts";
import type { UserRow } from "./accountsSchema.ts";

/** Only this hash of a refresh token is stored (hex SHA-256). */
export const hashToken = (token: string) => sha256Hex(token);

export type RotatedUser = Pick<UserRow, "id" | "username" | "role" | "created_at" | "token_version">;

/** A refresh token and the family (sign-in session) it belongs to; access tokens carry the family. */
export interface IssuedRefresh {
  token: string;
  family: string;
}

export class RefreshTokens {
  constructor(
    private readonly sql: Sql,
    private readonly ttlMs: number,
    private readonly now: () => number,
    /** A family was revoked here (logout, reuse): the caller drops what it cached about it and
     *  closes its sockets (awaited before the revocation is answered). */
    private readonly onRevoked: (family: string, userId: string) => void | Promise<void> = () => {},
  ) {}

  /** Start a new family for a user (login / register). Returns the plaintext token. */
  async issue(userId: string, tokenVersion: number): Promise<IssuedRefresh> {
    const token = randomToken(32);
    const family = randomId("f");
    const now = this.now();
    await this.sql.run(
      `INSERT INTO refresh_tokens (token_hash, user_id, family_id, token_version, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [await hashToken(token), userId, family, tokenVersion, now, now + this.ttlMs],
    );
    return { token, family };
  }

  /** Has the family been revoked (logout, reuse, admin lock)? Revocation marks every row of it. */
  async isRevoked(family: string): Promise<boolean> {
    const row = await this.sql.first(`SELECT 1 AS r FROM refresh_tokens WHERE family_id = ? AND revoked_at IS NOT NULL LIMIT 1`, [family]);
    return row !== undefined;
  }

  /**
   * Spend `token` and return its successor plus the user it belongs to. The claim and the insert of
   * the successor are one atomic batch; the insert only happens if this batch made the claim and
   * the user's token_version still matches (an admin lock bumps it).
   */
  async rotate(token: string): Promise<{ token: string; family: string; user: RotatedUser }> {
    const oldHash = await hashToken(token);
    const next = randomToken(32);
    const newHash = await hashToken(next);
    const now = this.now();
    await this.sql.batch([
      {
        sql: `UPDATE refresh_tokens SET used_at = ?, rotated_to = ?
              WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?`,
        args: [now, newHash, oldHash, now],
      },
      {
        sql: `INSERT INTO refresh_tokens (token_hash, user_id, family_id, token_version, created_at, expires_at)
              SELECT ?, t.user_id, t.family_id, t.token_version, ?, ?
              FROM refresh_tokens t JOIN users u ON u.id = t.user_id AND u.token_version = t.token_version
              WHERE t.token_hash = ? AND t.rotated_to = ?`,
        args: [newHash, now, now + this.ttlMs, oldHash, newHash],
      },
    ]);
    const row = await this.sql.first<RotatedUser & { family_id: string }>(
      `SELECT u.id, u.username, u.role, u.created_at, t.token_version, t.family_id
       FROM refresh_tokens t JOIN users u ON u.id = t.user_id AND u.token_version = t.token_version
       WHERE t.token_hash = ? AND t.revoked_at IS NULL`,
      [newHash],
    );
    if (row) {
      const { family_id, ...user } = row;
      return { token: next, family: family_id, user };
    }

    // Not rotated. If the token exists and was already spent (by someone else), revoke its family.
    const revoked = await this.sql.all<{ family_id: string; user_id: string }>(
      `UPDATE refresh_tokens SET revoked_at = ?
       WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = ? AND used_at IS NOT NULL)
         AND revoked_at IS NULL
       RETURNING family_id, user_id`,
      [now, oldHash],
    );
    if (revoked[0]) await this.onRevoked(revoked[0].family_id, revoked[0].user_id);
    throw new NexusError(
      "unauthorized",
      revoked.length > 0 ? "refresh token reuse detected; the session was revoked" : "invalid or expired refresh token",
    );
  }

  /** Revoke the family `token` belongs to (logout). Unknown tokens are ignored. */
  async revokeFamily(token: string): Promise<void> {
    const revoked = await this.sql.all<{ family_id: string; user_id: string }>(
      `UPDATE refresh_tokens SET revoked_at = ?
       WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = ?) AND revoked_at IS NULL
       RETURNING family_id, user_id`,
      [this.now(), await hashToken(token)],
    );
    if (revoked[0]) await this.onRevoked(revoked[0].family_id, revoked[0].user_id);
  }

  /** The user of `token` while it is still valid, or null ("log out everywhere" finds the user by it). */
  async userOf(token: string): Promise<string | null> {
    const row = await this.sql.first<{ user_id: string }>(
      "SELECT user_id FROM refresh_tokens WHERE token_hash = ? AND revoked_at IS NULL AND used_at IS NULL AND expires_at > ?", [await hashToken(token), this.now()]);
    return row?.user_id ?? null;
  }

  /** Statement revoking all of a user's tokens (batched with an admin lock). */
  revokeUserStatement(userId: string) {
    return { sql: `UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, args: [this.now(), userId] };
  }

  /** Drop rows that can no longer be used (expired for a day, so reuse is still detected shortly after). */
  async purgeExpired(): Promise<number> {
    const { changes } = await this.sql.run(`DELETE FROM refresh_tokens WHERE expires_at < ?`, [this.now() - 86_400_000]);
    return changes;
  }
}
