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
 * batch back (SQLite has no conditional abort outside triggers).
 *
 * A conversation that does not exist is loaded without a write (#16: probes of absent ids made one
 * token write each, and 25 at once stalled the region's sqld; every probe also left a row behind).
 * Its load reads the stored token `e` (0 if there is no row) and takes nothing; the only commit such
 * an actor can make is the create, and that commit's first statements claim the fence (claimFence):
 * a compare-and-set from `e` to `e + 1`, refused like a stale token if the stored one is no longer
 * `e`. Why two writers still cannot both commit:
 * - Every token value is handed to one writer only. The stored number never goes down, and each
 *   value above the old one comes from exactly one committed increment: a take (`+ 1`, returning
 *   the new value to its taker) or a claim (which succeeds only if the number is still `e`, so two
 *   claims from `e`, or a take and a claim, cannot both produce `e + 1`).
 * - A writer commits only while the stored token is its own, so once anyone takes or claims after
 *   it, none of its commits land again.
 * - Nothing a writer did not see can be overwritten. A taker reads after taking (commits of earlier
 *   holders landed before, and are read, or are refused). A claimant saw no conversation and no
 *   token change since its read; its claim lands with its create, which inserts the conversation
 *   row and fails if anyone created it meanwhile (absent/absent: one create wins, the other is
 *   refused by the claim or the key). A holder of `e` that created the conversation after the
 *   claimant's read (a take of `e` on an older schema, or a stale owner) fails the claimant's create
 *   on the conversation's key. A moved copy never reaches this: its tombstone answers the load
 *   first, and its triggers refuse the create anyway.
 * - A refused claim makes the actor reload (constraint failed: sql.ts mayHaveDiverged); the reload
 *   finds the conversation and takes a token like any load of an existing conversation. Inboxes
 *   have no fence (one writer per user by the lease; their moves fence with tombstones).
 * What changes: an absent load no longer fences an earlier owner at once, so that owner's create
 * still on its way lands (and is the conversation; the new owner's own create is refused and it
 * reloads) where before it was refused. And a stale node whose claim lost takes a token on reload,
 * as any stale node's first load of an existing conversation always could; it exits at its next
 * lease renewal (leases.ts).
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

/** The token stored for `convId` now, 0 if none was ever taken: where a claim starts from. */
export async function readFence(sql: Sql, convId: string): Promise<number> {
  const row = await sql.first<{ token: number }>("SELECT token FROM conversation_fences WHERE conv_id = ?", [convId]);
  return row ? Number(row.token) : 0;
}

/** The first statements of a claim (see the header): the row if there was none, then the token
 *  moves from `expected` to `expected + 1`, or the batch fails as a stale token's would (`ok` is
 *  computed from the row as it was: SQLite's SET reads the old values). */
export function claimFence(convId: string, expected: number): Statement[] {
  return [
    { sql: "INSERT INTO conversation_fences (conv_id, token) VALUES (?, 0) ON CONFLICT (conv_id) DO NOTHING", args: [convId] },
    { sql: "UPDATE conversation_fences SET ok = (token = ?), token = ? WHERE conv_id = ?", args: [expected, expected + 1, convId] },
  ];
}

/** What the host keeps of one conversation's fence across reloads of its actor (one stay on a node). */
export interface FenceStay {
  /** The stay's token: taken from the primary on the first call (a load that found the
   *  conversation), the same one afterwards. */
  take(): Promise<number>;
  /** Whether the stay holds a token already (taken, or won by a claim). */
  holds(): boolean;
  /** A claim committed: the stay holds `token` from now on. */
  claimed(token: number): void;
  /** A claim was refused (or may have landed): this actor knows less than storage and must not
   *  serve on; the next use loads the conversation anew. */
  refused(): void;
}

/** The first statement of every fenced commit: fails the batch unless `token` is still current. */
export function fenceCheck(convId: string, token: number): Statement {
  return { sql: "UPDATE conversation_fences SET ok = (token = ?) WHERE conv_id = ?", args: [token, convId] };
}

/** The primary refused a commit because a newer owner took the conversation over. */
export function isFenceRefusal(e: unknown): boolean {
  return /owner_fence/.test(String((e as Error)?.message ?? e));
}
