/**
 * What an account is besides its credentials (issue #20): deactivated by an admin, deleted by its
 * owner, or holding a temporary password an admin set. One row per user that ever left the plain
 * "active" state, beside `users` in the same store (a sharded directory keeps it in the user's
 * shard). A table of its own rather than columns of `users`: `CREATE TABLE IF NOT EXISTS`
 * migrates every existing deployment, where `ALTER TABLE ADD COLUMN` cannot be re-run at each start.
 *
 * Deactivation and deletion also set `users.locked_until` to LOCKED_FOREVER, so everything that
 * already leaves locked accounts out (login, the directory) leaves these out too, and an unlock
 * does not bring them back (`UNLOCKABLE`).
 */
import { randomBytes } from "../../protocol/ids.ts";

export const ACCOUNT_STATE_MIGRATIONS = [
  `CREATE TABLE IF NOT EXISTS account_states (
     user_id TEXT PRIMARY KEY,
     deactivated_at INTEGER,
     deleted_at INTEGER,
     temp_password_until INTEGER
   )`,
];

export interface AccountStateRow {
  deactivated_at: number | null;
  deleted_at: number | null;
  /** Set by an admin reset: the password is temporary, usable (once, to set a new one) until then. */
  temp_password_until: number | null;
}

/** What an account is, as the admin list and profiles show it. */
export type AccountState = "active" | "deactivated" | "deleted";

export function stateOf(r: Partial<AccountStateRow> | undefined | null): AccountState {
  if (r?.deleted_at != null) return "deleted";
  if (r?.deactivated_at != null) return "deactivated";
  return "active";
}

/** A stored password hash no password verifies against (a deleted account's). */
export const NO_PASSWORD = "!deleted";

/** SQL condition: the `users` row aliased `u` is neither deactivated nor deleted. */
export const IS_ACTIVE = (u: string) =>
  `NOT EXISTS (SELECT 1 FROM account_states s WHERE s.user_id = ${u}.id AND (s.deactivated_at IS NOT NULL OR s.deleted_at IS NOT NULL))`;

/** Upsert stamping one column of a user's state (kept when already set, so repeats are no-ops). */
export function stampStatement(userId: string, column: "deactivated_at" | "deleted_at", at: number) {
  return {
    sql: `INSERT INTO account_states (user_id, ${column}) VALUES (?, ?)
          ON CONFLICT (user_id) DO UPDATE SET ${column} = coalesce(${column}, excluded.${column})`,
    args: [userId, at],
  };
}

/** How long an admin's temporary password can be used to set a new one. */
export const TEMP_PASSWORD_TTL_MS = 72 * 3_600_000;

/**
 * A temporary password: 20 characters of an alphabet without look-alikes (0/O, 1/l/I), in groups
 * of five for reading aloud — about 100 bits, so no policy rule (length, common lists) refuses it.
 */
export function temporaryPassword(): string {
  const alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
  // 256 % 31 ≠ 0: draw bytes below the largest multiple of 31 so every character is equally likely.
  const out: string[] = [];
  while (out.length < 20) for (const b of randomBytes(32)) if (b < 248 && out.length < 20) out.push(alphabet[b % 31]!);
  return [0, 5, 10, 15].map((i) => out.slice(i, i + 5).join("")).join("-");
}
