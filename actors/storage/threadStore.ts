/**
 * Threads in storage (protocol/threads.ts). A reply is an `events` row whose body JSON has
 * `threadRoot` (no new column: nothing to migrate in existing logs), found through a partial index;
 * the root's `thread` summary is in its body JSON too, written by the commit that adds a reply.
 * Who follows a thread and what they have read of it is per member, so it is a table of its own:
 * the commit that stores a reply makes its author, the members it mentions (and the root's author,
 * unless they unfollowed) followers, and follow/unfollow and "read up to" are upserts that commute with it.
 */
import type { MessageEvent } from "../../protocol/index.ts";
import type { Sql, Statement } from "./sql.ts";
import { EVENT_COLS, rowToEvent, type EventRow } from "./eventRows.ts";

/** `events_thread`'s WHERE is repeated verbatim by every query that means to use it. */
const IS_REPLY = "kind = 'message' AND json_extract(body, '$.threadRoot') IS NOT NULL";

export const threadSchema = [
  `CREATE INDEX IF NOT EXISTS events_thread ON events (conv_id, json_extract(body, '$.threadRoot'), seq) WHERE ${IS_REPLY}`,
  `CREATE TABLE IF NOT EXISTS thread_follows (
     conv_id TEXT NOT NULL, root_seq INTEGER NOT NULL, user_id TEXT NOT NULL,
     following INTEGER NOT NULL, read_seq INTEGER NOT NULL, PRIMARY KEY (conv_id, root_seq, user_id))`,
];

/** The follower rows a batch's thread replies make (in the same transaction as the replies). */
export function threadReplyStatements(convId: string, events: ReadonlyArray<{ kind: string; seq: number; author: string; threadRoot?: number; mentions?: string[] }>, st: Statement[]): void {
  for (const e of events) {
    if (e.kind !== "message" || e.threadRoot === undefined) continue;
    // The root's author follows from the first reply on (nothing read yet), unless they have a row already.
    st.push({ sql: `INSERT INTO thread_follows (conv_id, root_seq, user_id, following, read_seq)
                    SELECT conv_id, seq, author, 1, seq FROM events WHERE conv_id = ? AND seq = ? ON CONFLICT DO NOTHING`,
      args: [convId, e.threadRoot] });
    // Whoever replies follows (again), and has read the thread up to their reply.
    st.push({ sql: `INSERT INTO thread_follows (conv_id, root_seq, user_id, following, read_seq) VALUES (?, ?, ?, 1, ?)
                    ON CONFLICT (conv_id, root_seq, user_id) DO UPDATE SET following = 1, read_seq = MAX(read_seq, excluded.read_seq)`,
      args: [convId, e.threadRoot, e.author, e.seq] });
    // Members it mentions follow it (again) and have not read this reply: it counts in their `threads`.
    for (const m of e.mentions ?? []) {
      if (m.startsWith("@") || m === e.author) continue; // "@all"/"@here" do not make everyone follow
      st.push({ sql: `INSERT INTO thread_follows (conv_id, root_seq, user_id, following, read_seq) VALUES (?, ?, ?, 1, ?)
                      ON CONFLICT (conv_id, root_seq, user_id) DO UPDATE SET following = 1`,
        args: [convId, e.threadRoot, m, e.seq - 1] });
    }
  }
}

export class ThreadStore {
  constructor(private readonly sql: Sql, private readonly convId: string) {}

  /** Replies to `root` after `after`, oldest first, materialized (edits, deletes, reactions). */
  async replies(root: number, after: number, limit: number): Promise<{ replies: MessageEvent[]; hasMore: boolean }> {
    const rows = await this.sql.all<EventRow>(
      `SELECT ${EVENT_COLS} FROM events WHERE conv_id = ? AND ${IS_REPLY} AND json_extract(body, '$.threadRoot') = ? AND seq > ?
         ORDER BY seq LIMIT ?`, [this.convId, root, after, limit + 1]);
    const hasMore = rows.length > limit;
    if (hasMore) rows.pop();
    return { replies: rows.map((r) => rowToEvent(r) as MessageEvent), hasMore };
  }

  async followers(root: number): Promise<Array<{ userId: string; following: boolean; readSeq: number }>> {
    const rows = await this.sql.all<{ user_id: string; following: number; read_seq: number }>(
      "SELECT user_id, following, read_seq FROM thread_follows WHERE conv_id = ? AND root_seq = ? ORDER BY rowid", [this.convId, root]);
    return rows.map((r) => ({ userId: r.user_id, following: Number(r.following) === 1, readSeq: Number(r.read_seq) }));
  }

  /** Follow or unfollow; a new follower has read what is there (`readSeq`: the newest reply). */
  async follow(root: number, userId: string, on: boolean, readSeq: number): Promise<void> {
    await this.sql.batch([{ sql: `INSERT INTO thread_follows (conv_id, root_seq, user_id, following, read_seq) VALUES (?, ?, ?, ?, ?)
                                  ON CONFLICT (conv_id, root_seq, user_id) DO UPDATE SET following = excluded.following`,
      args: [this.convId, root, userId, on ? 1 : 0, readSeq] }]);
  }

  /** Read cursors only move forward. */
  async read(root: number, userId: string, seq: number): Promise<void> {
    await this.sql.batch([{ sql: "UPDATE thread_follows SET read_seq = MAX(read_seq, ?) WHERE conv_id = ? AND root_seq = ? AND user_id = ?",
      args: [seq, this.convId, root, userId] }]);
  }

  /** Per follower (of any thread here, or only `userIds`): replies by others after their read cursor, not deleted. */
  async unread(userIds?: string[]): Promise<Map<string, number>> {
    const only = userIds ? ` AND f.user_id IN (${userIds.map(() => "?").join(",")})` : "";
    const res = await this.sql.all<{ user_id: string; n: number }>(
      `SELECT f.user_id AS user_id, (SELECT COUNT(*) FROM events e WHERE e.conv_id = f.conv_id AND e.${IS_REPLY.replace("body", "e.body")}
           AND json_extract(e.body, '$.threadRoot') = f.root_seq
           AND e.seq > f.read_seq AND e.author <> f.user_id AND e.deleted = 0) AS n
         FROM thread_follows f WHERE f.conv_id = ? AND f.following = 1${only}`, [this.convId, ...(userIds ?? [])]);
    const out = new Map<string, number>();
    for (const id of userIds ?? []) out.set(id, 0);
    for (const r of res) out.set(r.user_id, (out.get(r.user_id) ?? 0) + Number(r.n));
    return out;
  }
}
