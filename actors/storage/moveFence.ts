/**
 * The storage side of moving an actor (a conversation or an inbox) between two databases (cluster
 * mode: one libSQL primary per region; hosts/cluster/homeMoves.ts). A copy with a row in its kind's
 * tombstone table (`moved_conversations`, `moved_inboxes`: movableKinds.ts) is fenced: the database
 * itself refuses every write of its rows, whoever sends it (triggers, below). That is what makes a
 * move lose nothing:
 *
 * - the source copy is tombstoned *before* it is exported, so the exported snapshot is final: a
 *   commit of any writer, however stale its idea of the owner or the home, either landed before the
 *   tombstone (and is in the snapshot) or is refused (the writer gets an error, never an ack);
 * - the destination copy is written under a tombstone too (each import page re-creates it in its own
 *   transaction), so no node serves or extends it before the home has switched to it;
 * - a tombstone is lifted only by the region's owner of the actor after the placement store says
 *   the home is that region (homeMoves.ts `confirmMoved`), or by the mover itself when its
 *   compare-and-set is known not to have happened.
 *
 * The refusal is an SQL constraint error ("constraint failed"): the conversation actor treats it as
 * "storage holds something I do not know" and reloads, and a reload of a tombstoned copy answers
 * `unavailable` (retry) until the client is routed to the new home.
 */
import type { Statement } from "./sql.ts";
import { MOVABLE, type MovableKind } from "./movableKinds.ts";

/** The error text every refusal carries (it matches sql.ts `mayHaveDiverged`). */
export const MOVE_FENCE_ERROR = "move_fence: constraint failed (moving or moved to another region)";

/** The triggers of one kind's fence. A trigger's name keeps the table's name alone (conversation
 *  tables' triggers were named so before inboxes moved, and IF NOT EXISTS keeps them). */
function fenceTriggers(k: MovableKind): string[] {
  return k.fenced.flatMap((table) => {
    const key = k.tables.find((t) => t.name === table)!.key;
    return k.fencedOps.map((op) =>
      `CREATE TRIGGER IF NOT EXISTS move_fence_${table}_${op.toLowerCase()} BEFORE ${op} ON ${table}
       WHEN EXISTS (SELECT 1 FROM ${k.tombstones} WHERE id = ${op === "DELETE" ? "OLD" : "NEW"}.${key})
       BEGIN SELECT RAISE(ABORT, '${MOVE_FENCE_ERROR}'); END`);
  });
}

/** Cluster-mode schema (after each kind's migration, which makes its tables and tombstones): the
 *  triggers of the fences, and a table no row is ever written to, whose CHECK turns an import's
 *  failed precondition into an error. */
export const moveFenceSchema = [
  ...fenceTriggers(MOVABLE.conversation),
  ...fenceTriggers(MOVABLE.inbox),
  `CREATE TABLE IF NOT EXISTS move_guard (ok INTEGER NOT NULL CONSTRAINT move_guard CHECK (ok = 1))`,
];

/** A statement that fails its transaction when `failIf` (an SQL condition over `args`) holds. */
function guard(failIf: string, args: (string | number)[]): Statement {
  return { sql: `INSERT INTO move_guard (ok) SELECT 0 WHERE ${failIf}`, args };
}

/** A stamp naming one move attempt (tombstones of different attempts are told apart by it). */
export function moveStamp(): number {
  return Date.now() * 1000 + Math.floor(Math.random() * 1000);
}

/** Tombstone `id` (moving to `to`, attempt `stamp`): from this commit on, nothing of it is written. */
export function tombstone(k: MovableKind, id: string, to: string, stamp: number): Statement {
  return { sql: `INSERT OR REPLACE INTO ${k.tombstones} (id, region, ts) VALUES (?, ?, ?)`, args: [id, to, stamp] };
}

/** Lifts the tombstone: only attempt `stamp`'s, when given. */
export function untombstone(k: MovableKind, id: string, stamp?: number): Statement {
  return stamp === undefined
    ? { sql: `DELETE FROM ${k.tombstones} WHERE id = ?`, args: [id] }
    : { sql: `DELETE FROM ${k.tombstones} WHERE id = ? AND ts = ?`, args: [id, stamp] };
}

/** Before an import page's writes. The first page of an attempt refuses to overwrite a live copy
 *  (rows and no tombstone: the actor is served from this database), and a newer attempt's copy
 *  (its tombstone is younger: the first page of an attempt that timed out can commit after a later
 *  attempt copied everything and switched the home, and would wipe that copy; stamps are wall-clock
 *  based, and a new attempt starts seconds after the one it follows timed out); every later page
 *  refuses unless this attempt's tombstone is still there (a page of an older, abandoned attempt
 *  arriving late, or a newer attempt having started over, fails instead of mixing two copies). */
export function importPrecondition(k: MovableKind, id: string, stamp: number, first: boolean): Statement {
  if (!first) return guard(`NOT EXISTS (SELECT 1 FROM ${k.tombstones} WHERE id = ? AND ts = ?)`, [id, stamp]);
  const live = k.tables.map((t) => `EXISTS (SELECT 1 FROM ${t.name} WHERE ${t.key} = ?)`).join(" OR ");
  return guard(`((${live}) AND NOT EXISTS (SELECT 1 FROM ${k.tombstones} WHERE id = ?)) OR EXISTS (SELECT 1 FROM ${k.tombstones} WHERE id = ? AND ts > ?)`,
    [...k.tables.map(() => id), id, id, stamp]);
}

/** Did the database refuse a write because of a move (tombstone or import precondition)? */
export function isMoveFenceRefusal(e: unknown): boolean {
  return /move_fence|move_guard/.test(String((e as Error)?.message ?? e));
}
