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
 *   finds the conversation and takes a token like any load of an existing conversation.
 * What changes: an absent load no longer fences an earlier owner at once, so that owner's create
 * still on its way lands (and is the conversation; the new owner's own create is refused and it
 * reloads) where before it was refused. And a stale node whose claim lost takes a token on reload,
 * as any stale node's first load of an existing conversation always could; it exits at its next
 * lease renewal (leases.ts).
 *
 * Inboxes are fenced by the same table shape and the same claim (their own table, `inbox_fences`,
 * named in movableKinds.ts), but every inbox write is a claim: inboxes are read far more often than
 * written (presence lookups, summaries), so their loads take nothing (inboxWriterFence.ts argues it).
 */
import type { Sql, Statement } from "./sql.ts";
import { MOVABLE, type FenceTable } from "./movableKinds.ts";

/** The fence of a conversation, the default of every function below; an inbox's is
 *  MOVABLE.inbox.fence (inboxWriterFence.ts). */
const CONVERSATIONS = MOVABLE.conversation.fence;

const fenceTable = (f: FenceTable) =>
  `CREATE TABLE IF NOT EXISTS ${f.table} (
     ${f.key} TEXT PRIMARY KEY, token INTEGER NOT NULL,
     ok INTEGER NOT NULL DEFAULT 1 CONSTRAINT owner_fence CHECK (ok = 1))`;

/** Cluster mode's fence tables, one per kind (movableKinds.ts names them). */
export const fenceSchema = [fenceTable(MOVABLE.conversation.fence), fenceTable(MOVABLE.inbox.fence)];

/** A new token for `id`, greater than every earlier one: from now on only its holder commits. */
export async function takeFence(sql: Sql, id: string, of: FenceTable = CONVERSATIONS): Promise<number> {
  const row = await sql.first<{ token: number }>(
    `INSERT INTO ${of.table} (${of.key}, token) VALUES (?, 1)
     ON CONFLICT (${of.key}) DO UPDATE SET token = token + 1, ok = 1 RETURNING token`, [id]);
  if (!row) throw new Error(`taking the fence of ${of.table} ${id} returned no token`);
  return Number(row.token);
}

/** A take without a taker, inside a batch: every holder of an earlier token (or claimant from one)
 *  is refused from this commit on. A move's import ends so (actorTransfer.ts): whoever wrote this
 *  database's copy of the actor before it was replaced can never write it again. */
export function advanceFence(id: string, of: FenceTable = CONVERSATIONS): Statement {
  return { sql: `INSERT INTO ${of.table} (${of.key}, token) VALUES (?, 1)
    ON CONFLICT (${of.key}) DO UPDATE SET token = token + 1, ok = 1`, args: [id] };
}

/** The token stored for `id` now, 0 if none was ever taken: where a claim starts from. */
export async function readFence(sql: Sql, id: string, of: FenceTable = CONVERSATIONS): Promise<number> {
  const row = await sql.first<{ token: number }>(`SELECT token FROM ${of.table} WHERE ${of.key} = ?`, [id]);
  return row ? Number(row.token) : 0;
}

/** The first statements of a claim (see the header): the token moves from `expected` to
 *  `expected + 1`, or the batch fails as a stale token's would (`ok` is computed from the row as it
 *  was: SQLite's SET reads the old values).
 *
 *  In general that is two statements: the row if there was none (token 0), then the compare-and-set.
 *  Every inbox write is a claim, and sqld's cost is per statement too (~40-55 µs each), so the two
 *  common cases are one statement each, with the same outcome in every case:
 *  - from 0: an upsert. No row: the row is inserted with token 1 (the two statements would insert 0,
 *    then move it to 1). A row: the same compare-and-set as the UPDATE below.
 *  - from a positive token: the UPDATE alone. A positive token was read from (or written to) the
 *    row, and fence rows are never deleted (no statement of the code base deletes from a fence
 *    table, and a move's copy neither exports nor deletes them: movableKinds.ts lists only the
 *    actor's own tables), so the row is there and the INSERT … DO NOTHING would do nothing.
 *    (A conversation's fenceCheck relies on the same: its UPDATE of a missing row refuses nothing.)
 *  - anything else (-1: a commit that must be refused, writerFence.ts): both statements, as before.
 *  SQLite checks a row's CHECK constraints before its uniqueness, so an upsert cannot refuse a
 *  missing row with `ok = 0` instead: that would fail the present-row case too. */
export function claimFence(id: string, expected: number, of: FenceTable = CONVERSATIONS): Statement[] {
  const compareAndSet: Statement = { sql: `UPDATE ${of.table} SET ok = (token = ?), token = ? WHERE ${of.key} = ?`, args: [expected, expected + 1, id] };
  if (expected === 0)
    return [{ sql: `INSERT INTO ${of.table} (${of.key}, token) VALUES (?, 1) ON CONFLICT (${of.key}) DO UPDATE SET ok = (token = 0), token = 1`, args: [id] }];
  if (expected > 0) return [compareAndSet];
  return [{ sql: `INSERT INTO ${of.table} (${of.key}, token) VALUES (?, 0) ON CONFLICT (${of.key}) DO NOTHING`, args: [id] }, compareAndSet];
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
export function fenceCheck(id: string, token: number, of: FenceTable = CONVERSATIONS): Statement {
  return { sql: `UPDATE ${of.table} SET ok = (token = ?) WHERE ${of.key} = ?`, args: [token, id] };
}

const FENCE_CHECK = /^UPDATE (\w+) SET ok = \(token = \?\) WHERE (\w+) = \?$/;

/** The table, key column, id and token of `s` if it is exactly a fenceCheck's statement. */
export function asFenceCheck(s: Statement): { of: FenceTable; id: string; token: number } | null {
  const m = s.sql.startsWith("UPDATE ") ? FENCE_CHECK.exec(s.sql) : null;
  const [token, id] = s.args ?? [];
  if (!m || s.args?.length !== 2 || typeof id !== "string" || typeof token !== "number") return null;
  return { of: { table: m[1]!, key: m[2]! }, id, token };
}

/** Several fenceChecks of one table as one statement, for a transaction that carries several
 *  conversations' commits (cluster storage: hosts/cluster/storage/mergeFenceChecks.ts). The same as
 *  the checks one after another: each listed row's `ok` is set from its own token's comparison (the
 *  CHECK constraint refuses the whole statement, so the transaction, if any is stale), and a row
 *  that is not there is not touched, as a single check's UPDATE touches nothing. Ids must differ. */
export function fenceChecks(checks: ReadonlyArray<{ id: string; token: number }>, of: FenceTable = CONVERSATIONS): Statement {
  if (checks.length === 1) return fenceCheck(checks[0]!.id, checks[0]!.token, of);
  const when = checks.map(() => "WHEN ? THEN ?").join(" ");
  const list = checks.map(() => "?").join(", ");
  return {
    sql: `UPDATE ${of.table} SET ok = (token = CASE ${of.key} ${when} END) WHERE ${of.key} IN (${list})`,
    args: [...checks.flatMap((c) => [c.id, c.token]), ...checks.map((c) => c.id)],
  };
}

/** The primary refused a commit because a newer owner took the actor over. */
export function isFenceRefusal(e: unknown): boolean {
  return /owner_fence/.test(String((e as Error)?.message ?? e));
}
