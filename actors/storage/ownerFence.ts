/**
 * Fencing tokens for a conversation's writer, kept in the conversation's own database (cluster mode,
 * where several nodes share one libSQL primary and ownership moves between them).
 *
 * Why in storage and not only in the lease: a lease says who *should* write, but a node that was
 * paused (SIGSTOP, a long GC, a VM freeze) or cut off from Redis can still have a commit on its way
 * when a peer takes the conversation over. The new owner takes a token first (one write transaction:
 * the number goes up by one), then loads; every commit carries its writer's token and checks it
 * inside the same transaction, so a commit from any earlier owner is refused outright by the primary
 * ("CHECK constraint failed: owner_fence"), whatever its process believes. Two writers for one
 * conversation cannot both commit, not merely are unlikely to.
 *
 * The check is an UPDATE of the conversation's fence row that sets `ok` to whether the stored token
 * is the writer's; the CHECK constraint turns a mismatch into an SQL error, which rolls the whole
 * batch back (SQLite has no conditional abort outside triggers). A commit whose conversation has no
 * fence row yet cannot happen: the token is taken before the first load.
 */
import type { Sql, Statement } from "./sql.ts";

export const fenceSchema = [
  `CREATE TABLE IF NOT EXISTS conversation_fences (
     conv_id TEXT PRIMARY KEY, token INTEGER NOT NULL,
     ok INTEGER NOT NULL DEFAULT 1 CONSTRAINT owner_fence CHECK (ok = 1))`,
];

/** A new token for `convId`, greater than every earlier one: from now on only its holder commits. */
export async function takeFence(sql: Sql, convId: string): Promise<number> {
  const row = await sql.first<{ token: number }>(
    `INSERT INTO conversation_fences (conv_id, token) VALUES (?, 1)
     ON CONFLICT (conv_id) DO UPDATE SET token = token + 1, ok = 1 RETURNING token`, [convId]);
  if (!row) throw new Error(`taking the fence of conversation ${convId} returned no token`);
  return Number(row.token);
}

/** The first statement of every fenced commit: fails the batch unless `token` is still current. */
export function fenceCheck(convId: string, token: number): Statement {
  return { sql: "UPDATE conversation_fences SET ok = (token = ?) WHERE conv_id = ?", args: [token, convId] };
}

/** The primary refused a commit because a newer owner took the conversation over. */
export function isFenceRefusal(e: unknown): boolean {
  return /owner_fence/.test(String((e as Error)?.message ?? e));
}
