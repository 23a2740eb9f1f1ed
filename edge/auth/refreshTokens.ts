/**
 * Opaque, rotating refresh tokens. Only SHA-256 hashes are stored. Each login starts a family;
 * every refresh spends one token and issues its successor in the same family. Presenting a spent
 * token again means it leaked (or a client raced itself): the whole family is revoked.
 *
 * The Sql may be a remote proxy shared by many isolates, so each state change is one atomic
 * statement or one batch — never a read followed by a dependent write.
 *
 * Sign-in without a write (cluster mode, issue #15: a login must not cross the WAN to the accounts
 * home). With a `signer`, a family's first token is a signed token (tokens.ts signRefresh) the store
 * holds nothing of: its row is written by its first rotation, which claims it with an INSERT
 * instead of the UPDATE a stored token gets (ON CONFLICT: one claim wins, as the UPDATE's
 * `used_at IS NULL` does), and only while the user's token_version is still the one it was signed
 * under and the account not being deleted — what revoking its rows does for a stored token. A
 * logout of it writes a revoked row for it (the family's marker, which isRevoked and the claim see).
 * Presented again after its rotation it finds its row spent: the family is revoked, as for any token.
 */
import { NexusError } from "../../protocol/errors.ts";
import { randomId, randomToken, sha256Hex } from "../../protocol/ids.ts";
import type { Sql } from "../../actors/storage/sql.ts";
import type { UserRow } from "./accountsSchema.ts";
import { NO_PASSWORD } from "./accountStates.ts";
import type { SignedRefresh, TokenSigner } from "./tokens.ts";

/** Only this hash of a refresh token is stored (hex SHA-256). */
export const hashToken = (token: string) => sha256Hex(token);

export type RotatedUser = Pick<UserRow, "id" | "username" | "role" | "created_at" | "token_version">;

/** A refresh token and the family (sign-in session) it belongs to; access tokens carry the family. */
export interface IssuedRefresh {
  token: string;
  family: string;
}

export interface RefreshTokensOptions {
  /** Where tokens are claimed, rotated and revoked. */
  sql: Sql;
  /** Where `isRevoked` reads (a copy that may trail `sql` within a bound the host states); default `sql`. */
  reads?: Pick<Sql, "first">;
  ttlMs: number;
  now: () => number;
  /** A family was revoked here (logout, reuse): the caller drops what it cached about it and
   *  closes its sockets (awaited before the revocation is answered). */
  onRevoked?: (family: string, userId: string) => void | Promise<void>;
  /** Set: a family's first token is signed and stored at its first use (see the header). */
  signer?: TokenSigner;
}

export class RefreshTokens {
  private readonly sql: Sql;
  private readonly reads: Pick<Sql, "first">;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly onRevoked: (family: string, userId: string) => void | Promise<void>;
  private readonly signer: TokenSigner | undefined;

  constructor(o: RefreshTokensOptions) {
    this.sql = o.sql;
    this.reads = o.reads ?? o.sql;
    this.ttlMs = o.ttlMs;
    this.now = o.now;
    this.onRevoked = o.onRevoked ?? (() => {});
    this.signer = o.signer;
  }

  /** The claims of a signed first token (JWTs have dots; stored tokens never do), else null. */
  private async signed(token: string): Promise<SignedRefresh | null> {
    return this.signer && token.includes(".") ? this.signer.verifyRefresh(token) : null;
  }

  /** Start a new family for a user (login / register). Returns the plaintext token. */
  async issue(userId: string, tokenVersion: number): Promise<IssuedRefresh> {
    const family = randomId("f");
    if (this.signer) return { token: await this.signer.signRefresh({ userId, tokenVersion, family }, Math.floor(this.ttlMs / 1000)), family };
    const token = randomToken(32);
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
    const row = await this.reads.first(`SELECT 1 AS r FROM refresh_tokens WHERE family_id = ? AND revoked_at IS NOT NULL LIMIT 1`, [family]);
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
    const first = await this.signed(token);
    await this.sql.batch([
      first ? this.claimSigned(first, oldHash, newHash, now) : {
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

  /** The first rotation of a signed first token: its row, written spent (see the header). */
  private claimSigned(t: SignedRefresh, oldHash: string, newHash: string, now: number) {
    return {
      sql: `INSERT INTO refresh_tokens (token_hash, user_id, family_id, token_version, created_at, expires_at, used_at, rotated_to)
            SELECT ?, u.id, ?, u.token_version, ?, ?, ?, ? FROM users u
            WHERE u.id = ? AND u.token_version = ? AND u.password_hash <> ? AND ? > ?
              AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = ? AND r.revoked_at IS NOT NULL)
            ON CONFLICT (token_hash) DO NOTHING`,
      args: [oldHash, t.family, t.issuedAt, t.expiresAt, now, newHash, t.userId, t.tokenVersion, NO_PASSWORD, t.expiresAt, now, t.family],
    };
  }

  /** Revoke the family `token` belongs to (logout). Unknown tokens are ignored. */
  async revokeFamily(token: string): Promise<void> {
    const first = await this.signed(token);
    // A signed first token may have no row yet: its revoked row marks the family (isRevoked, claimSigned).
    const marked = first
      ? (await this.sql.run(
          `INSERT INTO refresh_tokens (token_hash, user_id, family_id, token_version, created_at, expires_at, revoked_at)
           VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (token_hash) DO NOTHING`,
          [await hashToken(token), first.userId, first.family, first.tokenVersion, first.issuedAt, first.expiresAt, this.now()],
        )).changes > 0
      : false;
    const revoked = await this.sql.all<{ family_id: string; user_id: string }>(
      `UPDATE refresh_tokens SET revoked_at = ?
       WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = ?) AND revoked_at IS NULL
       RETURNING family_id, user_id`,
      [this.now(), await hashToken(token)],
    );
    if (revoked[0]) await this.onRevoked(revoked[0].family_id, revoked[0].user_id);
    else if (marked && first) await this.onRevoked(first.family, first.userId);
  }

  /** The user of `token` while it is still valid, or null ("log out everywhere" finds the user by it). */
  async userOf(token: string): Promise<string | null> {
    const first = await this.signed(token);
    if (first) {
      // Valid while unexpired, never rotated or revoked itself, and its family not revoked.
      if (first.expiresAt <= this.now()) return null;
      const spent = await this.sql.first(`SELECT 1 AS r FROM refresh_tokens WHERE token_hash = ? OR (family_id = ? AND revoked_at IS NOT NULL) LIMIT 1`,
        [await hashToken(token), first.family]);
      return spent ? null : first.userId;
    }
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
