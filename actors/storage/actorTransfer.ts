/**
 * Moving one actor's stored state (a conversation or an inbox: movableKinds.ts) between two
 * databases (cluster mode moves it to another region's libSQL server): read it out in pages, write
 * it in, retire the old copy. Plain SQL over `Sql`, so any host could use it. Rows travel as they
 * are: a conversation keeps its seqs, its epoch and the clientIds of its events (a client resumes
 * on the new home with no gap and no duplicate, and resends are still recognised); an inbox keeps
 * its summaries (unread counts, read positions), settings, push subscriptions and pending uploads.
 *
 * Both copies are fenced while a move runs (moveFence.ts): the old copy gets its tombstone before
 * it is read out, the new one is written under one, and a database refuses every write to a
 * tombstoned copy. A host that loads a tombstoned copy gets `unavailable` (retry) unless the host
 * confirms that its region is the home (then the tombstone is lifted). The old rows are deleted
 * after the switch; the tombstone stays. Each imported page also advances the copy's owner fence
 * (ownerFence.ts), so no writer of an earlier copy in the target database writes the new one.
 */
import type { Sql, SqlValue, Statement } from "./sql.ts";
import { importPrecondition, tombstone, untombstone } from "./moveFence.ts";
import type { MovableKind } from "./movableKinds.ts";
import { advanceFence } from "./ownerFence.ts";

/** One page of rows of one table, as plain JSON values (libSQL may hand out bigints). */
export interface TransferPage {
  table: string;
  columns: string[];
  rows: SqlValue[][];
}

/** Rows per table of a copy: what the mover compares the imported copy with. */
export type RowCounts = Record<string, number>;

const PAGE_ROWS = 1000;

function plain(v: unknown): SqlValue {
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Uint8Array || v instanceof ArrayBuffer) throw new Error("movable rows hold no blobs");
  return v as SqlValue;
}

/** Every row of the actor, a page at a time, table by table in the kind's order. */
export async function* exportRows(k: MovableKind, sql: Sql, id: string): AsyncGenerator<TransferPage> {
  for (const t of k.tables) {
    let offset = 0;
    for (;;) {
      const rows = await sql.all<Record<string, unknown>>(
        `SELECT * FROM ${t.name} WHERE ${t.key} = ? ORDER BY ${t.order} LIMIT ? OFFSET ?`, [id, PAGE_ROWS, offset]);
      if (rows.length === 0) break;
      const columns = Object.keys(rows[0]!);
      yield { table: t.name, columns, rows: rows.map((r) => columns.map((c) => plain(r[c]))) };
      if (rows.length < PAGE_ROWS) break;
      offset += rows.length;
    }
  }
}

/** A page with no rows: an actor that may be empty (an inbox) still makes the target's tombstone. */
export const emptyPage = (k: MovableKind): TransferPage => ({ table: k.tables[0]!.name, columns: [], rows: [] });

const COLUMN = /^[a-z_0-9]+$/;

/** One move attempt, as the pages it writes know it. */
export interface ImportAttempt {
  /** Names the attempt (moveFence.ts moveStamp); the tombstone of the copy being written carries it. */
  stamp: number;
  /** The region the actor moves to (the tombstone names it until the home has switched). */
  to: string;
  /** The attempt's first page: what the target holds of this actor (an earlier stay, an abandoned
   *  attempt) is replaced. */
  first: boolean;
}

/** Write a page made by exportRows, in one transaction that leaves the copy tombstoned
 *  (moveFence.ts): nothing serves or writes it until the home has switched here. */
export async function importPage(k: MovableKind, sql: Sql, id: string, page: TransferPage, attempt: ImportAttempt): Promise<void> {
  if (!k.tables.some((t) => t.name === page.table) || !page.columns.every((c) => COLUMN.test(c))) throw new Error("transfer page: unknown table or column");
  // The fence's triggers refuse writes to a tombstoned copy: lifted for this transaction only.
  const statements: Statement[] = [importPrecondition(k, id, attempt.stamp, attempt.first), untombstone(k, id)];
  if (attempt.first) for (const t of k.tables) statements.push({ sql: `DELETE FROM ${t.name} WHERE ${t.key} = ?`, args: [id] });
  const insert = `INSERT OR REPLACE INTO ${page.table} (${page.columns.join(", ")}) VALUES (${page.columns.map(() => "?").join(", ")})`;
  for (const row of page.rows) statements.push({ sql: insert, args: row });
  // The copy is new to this database: whoever wrote an earlier copy here (a stay before the actor
  // moved away and back) holds or claims from an older token, and is refused from now on.
  statements.push(advanceFence(id, k.fence), tombstone(k, id, attempt.to, attempt.stamp));
  await sql.batch(statements);
}

/** Rows per table of the pages sent (what importedCopy should then find). */
export function countRows(into: RowCounts, page: TransferPage): void {
  into[page.table] = (into[page.table] ?? 0) + page.rows.length;
}

/** What an imported copy holds, to compare with what was exported: still this attempt's, and
 *  complete (an attempt's pages could otherwise be mixed with a late page of an older one). */
export async function importedCopy(k: MovableKind, sql: Sql, id: string): Promise<{ stamp: number | null; rows: RowCounts }> {
  const t = await sql.first<{ ts: number }>(`SELECT ts FROM ${k.tombstones} WHERE id = ?`, [id]);
  const rows: RowCounts = {};
  for (const table of k.tables) {
    const n = Number((await sql.first<{ n: number }>(`SELECT count(*) AS n FROM ${table.name} WHERE ${table.key} = ?`, [id]))?.n ?? 0);
    if (n > 0) rows[table.name] = n;
  }
  return { stamp: t ? Number(t.ts) : null, rows };
}

/** The actor is leaving for `to` (attempt `stamp`): from this commit on, this copy is neither
 *  written (moveFence.ts) nor loaded. */
export async function markMoved(k: MovableKind, sql: Sql, id: string, to: string, stamp: number): Promise<void> {
  await sql.batch([tombstone(k, id, to, stamp)]);
}

/** This copy is the actor again: the tombstone goes (only attempt `stamp`'s, when given). */
export async function clearMoved(k: MovableKind, sql: Sql, id: string, stamp?: number): Promise<void> {
  await sql.batch([untombstone(k, id, stamp)]);
}

/** After the switch: the old rows go and the tombstone stays (lifted for this transaction only,
 *  since a kind whose fence refuses deletes would refuse these too). */
export async function retireRows(k: MovableKind, sql: Sql, id: string): Promise<void> {
  const t = await sql.first<{ region: string; ts: number }>(`SELECT region, ts FROM ${k.tombstones} WHERE id = ?`, [id]);
  if (!t) throw new Error(`${k.kind} ${id}: no tombstone; its rows are not retired`);
  await sql.batch([
    importPrecondition(k, id, Number(t.ts), false), // still that tombstone, or nothing happens
    untombstone(k, id, Number(t.ts)),
    ...k.tables.map((table) => ({ sql: `DELETE FROM ${table.name} WHERE ${table.key} = ?`, args: [id] as SqlValue[] })),
    tombstone(k, id, t.region, Number(t.ts)),
  ]);
}

/** Where the actor went, when this database's copy is tombstoned. */
export async function movedTo(k: MovableKind, sql: Sql, id: string): Promise<string | null> {
  try {
    const row = await sql.first<{ region: string }>(`SELECT region FROM ${k.tombstones} WHERE id = ?`, [id]);
    return row?.region ?? null;
  } catch (e) {
    // A database made before moves existed has no such table, so nothing moved out of it.
    if (/no such table/i.test(String((e as Error)?.message ?? e))) return null;
    throw e;
  }
}
