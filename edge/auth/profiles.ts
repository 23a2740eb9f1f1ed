/**
 * Public profiles: display name, status text and avatar version, one row per user beside `users`
 * in the same store (so a sharded directory keeps a user's profile in the user's shard). A table of
 * its own rather than columns of `users`: `CREATE TABLE IF NOT EXISTS` migrates every existing
 * deployment, where an `ALTER TABLE ADD COLUMN` cannot be re-run at each start.
 *
 * The directory (`search`) matches any part of a username or display name. It walks the users
 * table in username order (the UNIQUE index) from the page cursor, filtering with `instr`, and
 * stops at `limit` matches: a page costs the rows walked, not the whole table; substring matching
 * cannot use a b-tree, and 1-2 letter queries (the common case while typing) would not fit a
 * trigram index either. Locked (and so deactivated) accounts are left out.
 *
 * A deleted account (edge/auth/accountChanges.ts) shows no profile: its display name, status and
 * avatar are left out of every answer from the moment the deletion begins (which says `deleted: true`
 * instead, so clients show "Deleted user"), and its avatar is not served; the deletion then erases
 * them from the row and the avatar's bytes from the blob store (edge/routes/profiles.ts eraseProfile).
 */
import type { PublicUser } from "../../protocol/rest.ts";
import type { Sql } from "../../actors/storage/sql.ts";
import { effectiveRole, type UserRow } from "./accountsSchema.ts";
import type { AccountReads } from "./accountReads.ts";

export const PROFILE_MIGRATIONS = [
  `CREATE TABLE IF NOT EXISTS profiles (
     user_id TEXT PRIMARY KEY,
     display_name TEXT,
     name_key TEXT,
     status TEXT,
     avatar TEXT,
     updated_at INTEGER NOT NULL
   )`,
];

interface ProfileRow {
  display_name: string | null;
  status: string | null;
  avatar: string | null;
}

type DirectoryRow = Pick<UserRow, "id" | "username" | "role" | "created_at"> & ProfileRow & { deleted: number };

/** The profile fields of a PublicUser (absent when not set). */
export function profileFields(p: ProfileRow | undefined | null): Pick<PublicUser, "displayName" | "status" | "avatar"> {
  return {
    ...(p?.display_name ? { displayName: p.display_name } : {}),
    ...(p?.status ? { status: p.status } : {}),
    ...(p?.avatar ? { avatar: p.avatar } : {}),
  };
}

/** What a profile update sets: undefined keeps, null clears. */
export interface ProfilePatch {
  displayName?: string | null;
  status?: string | null;
  avatar?: string | null;
}

/** Profile columns, empty for a deleted account (account_states, migrated before this table). */
const PUBLIC_COLUMNS = `u.id, u.username, u.role, u.created_at,
  CASE WHEN d.deleted_at IS NULL THEN p.display_name END AS display_name,
  CASE WHEN d.deleted_at IS NULL THEN p.status END AS status,
  CASE WHEN d.deleted_at IS NULL THEN p.avatar END AS avatar,
  d.deleted_at IS NOT NULL AS deleted`;
const PROFILE_JOIN = `LEFT JOIN profiles p ON p.user_id = u.id LEFT JOIN account_states d ON d.user_id = u.id`;

export class ProfileStore {
  /** `reads`: profiles and the directory (accountReads.ts); `sql`: updates, and what a deletion erases. */
  constructor(
    private readonly sql: Sql,
    private readonly reads: AccountReads,
    private readonly admins: readonly string[],
    private readonly now: () => number,
  ) {}

  private toUser = (r: DirectoryRow): PublicUser => ({
    id: r.id,
    username: r.username,
    role: effectiveRole(r, this.admins),
    createdAt: Number(r.created_at),
    ...profileFields(r),
    // So clients show "Deleted user" instead of the old name (docs/api.md, People).
    ...(Number(r.deleted) ? { deleted: true as const } : {}),
  });

  /** Profiles of existing users among `ids` (unknown ids are left out). */
  async users(ids: readonly string[]): Promise<PublicUser[]> {
    if (ids.length === 0) return [];
    const rows = await this.reads.all<DirectoryRow>(
      `SELECT ${PUBLIC_COLUMNS} FROM users u ${PROFILE_JOIN} WHERE u.id IN (${ids.map(() => "?").join(",")})`,
      [...ids],
    );
    return rows.map(this.toUser);
  }

  async user(id: string): Promise<PublicUser | null> {
    return (await this.users([id]))[0] ?? null;
  }

  /** Sets the given fields (one upsert) and returns the profile, or null when the user does not exist. */
  async update(userId: string, patch: ProfilePatch): Promise<PublicUser | null> {
    const keep = (v: string | null | undefined) => (v === undefined ? 1 : 0);
    const name = patch.displayName ?? null;
    await this.sql.run(
      `INSERT INTO profiles (user_id, display_name, name_key, status, avatar, updated_at)
       SELECT id, ?, ?, ?, ?, ? FROM users WHERE id = ?
       ON CONFLICT (user_id) DO UPDATE SET
         display_name = CASE WHEN ? THEN display_name ELSE excluded.display_name END,
         name_key = CASE WHEN ? THEN name_key ELSE excluded.name_key END,
         status = CASE WHEN ? THEN status ELSE excluded.status END,
         avatar = CASE WHEN ? THEN avatar ELSE excluded.avatar END,
         updated_at = excluded.updated_at`,
      [
        name,
        name?.toLowerCase() ?? null,
        patch.status || null,
        patch.avatar ?? null,
        this.now(),
        userId,
        keep(patch.displayName),
        keep(patch.displayName),
        keep(patch.status),
        keep(patch.avatar),
      ],
    );
    return this.user(userId);
  }

  /** The current avatar version of a user, or null. */
  async avatarOf(userId: string): Promise<string | null> {
    const r = await this.reads.first<{ avatar: string | null }>(
      `SELECT p.avatar FROM profiles p LEFT JOIN account_states d ON d.user_id = p.user_id WHERE p.user_id = ? AND d.deleted_at IS NULL`,
      [userId],
    );
    return r?.avatar ?? null;
  }

  /** The avatar version still recorded, of a deleted account too (whose avatar is no longer served):
   *  what the account's deletion erases (edge/routes/profiles.ts eraseAvatar), retry after retry. */
  async storedAvatarOf(userId: string): Promise<string | null> {
    const r = await this.sql.first<{ avatar: string | null }>(`SELECT avatar FROM profiles WHERE user_id = ?`, [userId]);
    return r?.avatar ?? null;
  }

  /** Up to `limit` visible users after username `after` whose username or display name contains `q`. */
  async search(q: string, after: string, limit: number): Promise<PublicUser[]> {
    const key = q.toLowerCase();
    const rows = await this.reads.all<DirectoryRow>(
      `SELECT ${PUBLIC_COLUMNS} FROM users u ${PROFILE_JOIN}
       WHERE u.username > ? AND (u.locked_until IS NULL OR u.locked_until <= ?)
         AND (? = '' OR instr(u.username, ?) > 0 OR instr(coalesce(p.name_key, ''), ?) > 0)
       ORDER BY u.username LIMIT ?`,
      [after, this.now(), key, key, key, limit],
    );
    return rows.map(this.toUser);
  }
}
