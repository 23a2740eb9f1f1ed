/**
 * The audit log of admin actions (issue #20): who did what to whom, when. Append-only: the code only
 * inserts and reads, and triggers refuse any UPDATE or DELETE of a row, so not even a bug (or a
 * later feature) can rewrite history through the app. Kept in the accounts store (shard 0 of a
 * sharded directory), newest first, paged by `seq`.
 */
import type { AdminAction, AdminActionKind } from "../../protocol/rest.ts";
import type { Sql } from "../../actors/storage/sql.ts";

export const ADMIN_AUDIT_MIGRATIONS = [
  `CREATE TABLE IF NOT EXISTS admin_audit (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     admin_id TEXT NOT NULL,
     admin_username TEXT NOT NULL,
     action TEXT NOT NULL,
     target TEXT NOT NULL,
     target_name TEXT,
     details TEXT
   )`,
  `CREATE TRIGGER IF NOT EXISTS admin_audit_no_update BEFORE UPDATE ON admin_audit
   BEGIN SELECT RAISE(ABORT, 'the admin audit log is append-only'); END`,
  `CREATE TRIGGER IF NOT EXISTS admin_audit_no_delete BEFORE DELETE ON admin_audit
   BEGIN SELECT RAISE(ABORT, 'the admin audit log is append-only'); END`,
];

/** What a route records: the acting admin, the action, its target (a user or conversation id). */
export interface AdminActionInput {
  admin: { userId: string; username: string };
  action: AdminActionKind;
  target: string;
  targetName?: string;
  details?: Record<string, unknown>;
}

interface AuditRow {
  seq: number;
  at: number;
  admin_id: string;
  admin_username: string;
  action: AdminActionKind;
  target: string;
  target_name: string | null;
  details: string | null;
}

export class AdminAudit {
  constructor(
    private readonly sql: Sql,
    private readonly now: () => number,
  ) {}

  async append(a: AdminActionInput): Promise<void> {
    await this.sql.run(
      `INSERT INTO admin_audit (at, admin_id, admin_username, action, target, target_name, details) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [this.now(), a.admin.userId, a.admin.username, a.action, a.target, a.targetName ?? null, a.details ? JSON.stringify(a.details) : null],
    );
  }

  /** Up to `limit` actions older than `before` (a seq; none: the newest), newest first. */
  async page(before: number | undefined, limit: number): Promise<{ actions: AdminAction[]; hasMore: boolean }> {
    const rows = await this.sql.all<AuditRow>(
      `SELECT seq, at, admin_id, admin_username, action, target, target_name, details FROM admin_audit
       WHERE seq < ? ORDER BY seq DESC LIMIT ?`,
      [before ?? Number.MAX_SAFE_INTEGER, limit + 1],
    );
    const actions = rows.slice(0, limit).map((r) => ({
      seq: Number(r.seq),
      at: Number(r.at),
      admin: { id: r.admin_id, username: r.admin_username },
      action: r.action,
      target: r.target,
      ...(r.target_name ? { targetName: r.target_name } : {}),
      ...(r.details ? { details: JSON.parse(r.details) as Record<string, unknown> } : {}),
    }));
    return { actions, hasMore: rows.length > limit };
  }
}
