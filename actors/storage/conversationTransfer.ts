/**
 * Moving one conversation's stored state between two databases (cluster mode moves a conversation
 * to another region's libSQL server): read it out in pages, write it in, retire the old copy. Plain
 * SQL over `Sql`, so any host could use it. The log keeps its seqs, the conversation its epoch, and
 * the clientIds travel with their events: a client resumes on the new home with no gap and no
 * duplicate, and resends are still recognised.
 *
 * Both copies are fenced while a move runs (moveFence.ts): the old copy gets its tombstone
 * (`moved_conversations`) before it is read out, the new one is written under one, and a database
 * refuses every write to a tombstoned copy. A host that loads a tombstoned copy gets `unavailable`
 * (retry) unless the host confirms that its region is the home (then the tombstone is lifted). The
 * old rows are deleted after the switch; the tombstone stays.
 */
import type { Sql, SqlValue, Statement } from "./sql.ts";
import { importPrecondition, tombstone, untombstone } from "./moveFence.ts";

/** Tables of one conversation, keyed by these columns (conversationSchema.ts). */
const TABLES = [
  { name: "conversations", key: "id", order: "id" },
  { name: "members", key: "conv_id", order: "rowid" },
  { name: "attachments", key: "conv_id", order: "rowid" },
  { name: "events", key: "conv_id", order: "seq" },
  { name: "thread_follows", key: "conv_id", order: "rowid" },
] as const;

export const movedSchema = [
  `CREATE TABLE IF NOT EXISTS moved_conversations (id TEXT PRIMARY KEY, region TEXT NOT NULL, ts INTEGER NOT NULL)`,
];

/** One page of rows of one table, as plain JSON values (libSQL may hand out bigints). */
export interface TransferPage {
  table: (typeof TABLES)[number]["name"];
  columns: string[];
  rows: SqlValue[][];
}

const PAGE_ROWS = 1000;

function plain(v: unknown): SqlValue {
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Uint8Array || v instanceof ArrayBuffer) throw new Error("conversation rows hold no blobs");
  return v as SqlValue;
}

/** Every row of the conversation, a page at a time (events in seq order). */
export async function* exportConversation(sql: Sql, id: string): AsyncGenerator<TransferPage> {
  for (const t of TABLES) {
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

const KNOWN = new Set<string>(TABLES.map((t) => t.name));
const COLUMN = /^[a-z_]+$/;

/** One move attempt, as the pages it writes know it. */
export interface ImportAttempt {
  /** Names the attempt (moveFence.ts moveStamp); the tombstone of the copy being written carries it. */
  stamp: number;
  /** The region the conversation moves to (the tombstone names it until the home has switched). */
  to: string;
  /** The attempt's first page: what the target holds of this conversation (an earlier stay, an
   *  abandoned attempt) is replaced. */
  first: boolean;
}

/** Write a page made by exportConversation, in one transaction that leaves the copy tombstoned
 *  (moveFence.ts): nothing serves or writes it until the home has switched here. */
export async function importPage(sql: Sql, id: string, page: TransferPage, attempt: ImportAttempt): Promise<void> {
  if (!KNOWN.has(page.table) || !page.columns.every((c) => COLUMN.test(c))) throw new Error("transfer page: unknown table or column");
  const statements: Statement[] = [importPrecondition(id, attempt.stamp, attempt.first)];
  if (attempt.first) for (const t of TABLES) statements.push({ sql: `DELETE FROM ${t.name} WHERE ${t.key} = ?`, args: [id] });
  // The fence's triggers refuse writes to a tombstoned copy: lifted for this transaction only.
  statements.push({ sql: "DELETE FROM moved_conversations WHERE id = ?", args: [id] });
  const insert = `INSERT OR REPLACE INTO ${page.table} (${page.columns.join(", ")}) VALUES (${page.columns.map(() => "?").join(", ")})`;
  for (const row of page.rows) statements.push({ sql: insert, args: row });
  statements.push(tombstone(id, attempt.to, attempt.stamp));
  await sql.batch(statements);
}

/** What an imported copy holds, to compare with what was exported: still this attempt's, and
 *  complete (an attempt's pages could otherwise be mixed with a late page of an older one). */
export async function importedCopy(sql: Sql, id: string): Promise<{ stamp: number | null; events: number; lastSeq: number }> {
  const t = await sql.first<{ ts: number }>("SELECT ts FROM moved_conversations WHERE id = ?", [id]);
  const e = await sql.first<{ n: number; last: number | null }>("SELECT count(*) AS n, max(seq) AS last FROM events WHERE conv_id = ?", [id]);
  return { stamp: t ? Number(t.ts) : null, events: Number(e?.n ?? 0), lastSeq: Number(e?.last ?? 0) };
}

/** The conversation is leaving for `to` (attempt `stamp`): from this commit on, this copy is
 *  neither written (moveFence.ts) nor loaded. */
export async function markMoved(sql: Sql, id: string, to: string, stamp: number): Promise<void> {
  await sql.batch([tombstone(id, to, stamp)]);
}

/** This copy is the conversation again: the tombstone goes (only attempt `stamp`'s, when given). */
export async function clearMoved(sql: Sql, id: string, stamp?: number): Promise<void> {
  await sql.batch([stamp === undefined ? { sql: "DELETE FROM moved_conversations WHERE id = ?", args: [id] } : untombstone(id, stamp)]);
}

/** After the switch: the old rows go (the tombstone stays). */
export async function retireConversation(sql: Sql, id: string): Promise<void> {
  await sql.batch(TABLES.map((t) => ({ sql: `DELETE FROM ${t.name} WHERE ${t.key} = ?`, args: [id] as SqlValue[] })));
}

/** Where the conversation went, when this database's copy was retired. */
export async function movedTo(sql: Sql, id: string): Promise<string | null> {
  try {
    const row = await sql.first<{ region: string }>("SELECT region FROM moved_conversations WHERE id = ?", [id]);
    return row?.region ?? null;
  } catch (e) {
    // A database made before moves existed has no such table, so nothing moved out of it.
    if (/no such table/i.test(String((e as Error)?.message ?? e))) return null;
    throw e;
  }
}
