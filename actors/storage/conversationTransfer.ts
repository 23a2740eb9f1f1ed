/**
 * Moving one conversation's stored state between two databases (cluster mode moves a conversation
 * to another region's libSQL server): read it out in pages, write it in, retire the old copy. Plain
 * SQL over `Sql`, so any host could use it. The log keeps its seqs, the conversation its epoch, and
 * the clientIds travel with their events: a client resumes on the new home with no gap and no
 * duplicate, and resends are still recognised.
 *
 * Before the home switches, the old copy gets a tombstone (`moved_conversations`): from then on a
 * host that loads the conversation there gets `unavailable` (retry) unless the host confirms the
 * move did not happen (the tombstone of a move that failed midway is cleared on that load). The old
 * rows are deleted after the switch; until then the tombstone alone keeps them from being served.
 */
import type { Sql, SqlValue, Statement } from "./sql.ts";

/** Tables of one conversation, keyed by these columns (conversationSchema.ts). */
const TABLES = [
  { name: "conversations", key: "id", order: "id" },
  { name: "members", key: "conv_id", order: "rowid" },
  { name: "attachments", key: "conv_id", order: "rowid" },
  { name: "events", key: "conv_id", order: "seq" },
] as const;

  { name: "thread_follows", key: "conv_id", order: "rowid" },
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

/** Write pages made by exportConversation (replacing what the target may hold of this conversation
 *  from an earlier stay there). The first page of a transfer should be written with `fresh`. */
export async function importPage(sql: Sql, id: string, page: TransferPage, fresh: boolean): Promise<void> {
  if (!KNOWN.has(page.table) || !page.columns.every((c) => COLUMN.test(c))) throw new Error("transfer page: unknown table or column");
  const statements: Statement[] = [];
  if (fresh) {
    statements.push({ sql: "DELETE FROM moved_conversations WHERE id = ?", args: [id] });
    for (const t of TABLES) statements.push({ sql: `DELETE FROM ${t.name} WHERE ${t.key} = ?`, args: [id] });
  }
  const insert = `INSERT OR REPLACE INTO ${page.table} (${page.columns.join(", ")}) VALUES (${page.columns.map(() => "?").join(", ")})`;
  for (const row of page.rows) statements.push({ sql: insert, args: row });
  await sql.batch(statements);
}

/** The conversation is leaving for `to`: loads of this copy are refused from now on. */
export async function markMoved(sql: Sql, id: string, to: string, now: number): Promise<void> {
  await sql.batch([{ sql: "INSERT OR REPLACE INTO moved_conversations (id, region, ts) VALUES (?, ?, ?)", args: [id, to, now] }]);
}

/** The move did not happen after all: this copy is the conversation again. */
export async function clearMoved(sql: Sql, id: string): Promise<void> {
  await sql.batch([{ sql: "DELETE FROM moved_conversations WHERE id = ?", args: [id] }]);
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
