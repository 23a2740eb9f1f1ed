/**
 * Tables of the account service, shared by every host (SQLite dialect on libSQL and Durable Objects).
 * `token_version` is bumped by an admin lock: every access token, ticket and refresh token carries
 * the version it was issued under, so one UPDATE invalidates all of a user's sessions.
 */
import type { PublicUser } from "../../protocol/rest.ts";
import type { AccountRole } from "./tokens.ts";
import type { AccountState } from "./accountStates.ts";

export const ACCOUNT_MIGRATIONS = [
  `CREATE TABLE IF NOT EXISTS users (
     id TEXT PRIMARY KEY,
     username TEXT NOT NULL UNIQUE,
     password_hash TEXT NOT NULL,
     role TEXT NOT NULL CHECK (role IN ('admin', 'user')),
     created_at INTEGER NOT NULL,
     failed_logins INTEGER NOT NULL DEFAULT 0,
     locked_until INTEGER,
     token_version INTEGER NOT NULL DEFAULT 0
   )`,
  `CREATE TABLE IF NOT EXISTS refresh_tokens (
     token_hash TEXT PRIMARY KEY,
     user_id TEXT NOT NULL,
     family_id TEXT NOT NULL,
     token_version INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     used_at INTEGER,
     rotated_to TEXT,
     revoked_at INTEGER
   )`,
  `CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens (family_id)`,
  `CREATE INDEX IF NOT EXISTS refresh_tokens_user ON refresh_tokens (user_id)`,
  `CREATE INDEX IF NOT EXISTS refresh_tokens_expiry ON refresh_tokens (expires_at)`,
];

/** `locked_until` of a lock "until unlocked": the largest time a JS Date can hold. */
export const LOCKED_FOREVER = 8_640_000_000_000_000;

export interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  role: AccountRole;
  created_at: number;
  failed_logins: number;
  locked_until: number | null;
  token_version: number;
}

export const USER_COLUMNS = "id, username, password_hash, role, created_at, failed_logins, locked_until, token_version";

/** Admin view of a user. `lockedUntil` is null when not (or no longer) locked; `state` and a pending
 *  temporary password: accountStates.ts. */
export type AdminUserView = PublicUser & {
  lockedUntil: number | null;
  failedLogins: number;
  state: AccountState;
  temporaryPasswordUntil?: number;
};

export function toPublicUser(row: Pick<UserRow, "id" | "username" | "role" | "created_at">, admins: readonly string[]): PublicUser {
  return { id: row.id, username: row.username, role: effectiveRole(row, admins), createdAt: Number(row.created_at) };
}

/** ADMIN_USERNAMES promote an account without a migration; the stored role is the other source. */
export function effectiveRole(row: Pick<UserRow, "username" | "role">, admins: readonly string[]): AccountRole {
  return row.role === "admin" || admins.includes(row.username) ? "admin" : "user";
}
