/**
 * The full-text index in the same database as the events (Durable Objects: one small database per
 * conversation, one writer, nothing to hold up). An external-content FTS5 table: the text lives once,
 * in `events`. Rows of `events` up to `fts_state.upto` are indexed; searchIndexer.ts decides when the
 * rest are. The Bun host keeps its index in a file of its own instead (libsqlSearch.ts).
 */
import type { FullTextIndex, IndexProgress, Sql } from "./sql.ts";

export const inlineSearchSchema = [
  `CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(text, content='events', content_rowid='rowid')`,
  // Created at the first migration that has it: a database from before then was indexed by the old
  // insert trigger, i.e. up to its last row.
  `CREATE TABLE IF NOT EXISTS fts_state (id INTEGER PRIMARY KEY CHECK (id = 1), upto INTEGER NOT NULL)`,
  `INSERT OR IGNORE INTO fts_state (id, upto) SELECT 1, COALESCE(MAX(rowid), 0) FROM events`,
  `DROP TRIGGER IF EXISTS events_fts_insert`,
  `DROP TRIGGER IF EXISTS events_fts_update`,
  // Edits and deletes re-index a row only if the indexer already took it (it reads the current text).
  `CREATE TRIGGER IF NOT EXISTS events_fts_reindex AFTER UPDATE OF text ON events
     WHEN old.kind = 'message' AND old.rowid <= (SELECT upto FROM fts_state WHERE id = 1) BEGIN
     INSERT INTO events_fts (events_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
     INSERT INTO events_fts (rowid, text) VALUES (new.rowid, new.text); END`,
];

/** For a database whose index moved to a file of its own: the old in-database index goes. Names are
 *  qualified with `main.`: unqualified, a name missing from main resolves to the attached index file. */
export const dropInlineSearchSchema = [
  `DROP TRIGGER IF EXISTS main.events_fts_insert`,
  `DROP TRIGGER IF EXISTS main.events_fts_update`,
  `DROP TRIGGER IF EXISTS main.events_fts_reindex`,
  `DROP TABLE IF EXISTS main.events_fts`,
  `DROP TABLE IF EXISTS main.fts_state`,
];

/** Rows indexed per transaction: smaller chunks cost ~40% more per row (more FTS segments to merge). */
export const CHUNK_ROWS = 2000;

export function inlineSearch(sql: Sql): FullTextIndex {
  const progress = async (): Promise<IndexProgress> => {
    const r = await sql.first<{ upto: number; last: number }>(
      "SELECT upto, (SELECT COALESCE(MAX(rowid), 0) FROM events) AS last FROM fts_state WHERE id = 1");
    return r ? { upto: Number(r.upto), last: Number(r.last) } : { upto: 0, last: 0 };
  };
  return {
    table: "events_fts",
    progress,
    async chunk(to: number): Promise<IndexProgress> {
      const { upto: from, last } = await progress();
      const end = Math.min(to, last, from + CHUNK_ROWS);
      if (end <= from) return { upto: from, last };
      // Guarded by `upto = from`: a concurrent indexer (another process on the same file) cannot
      // index the same range twice.
      await sql.batch([
        { sql: `INSERT INTO events_fts (rowid, text) SELECT rowid, text FROM events
                WHERE rowid > ? AND rowid <= ? AND kind = 'message' AND (SELECT upto FROM fts_state WHERE id = 1) = ?`,
          args: [from, end, from] },
        { sql: "UPDATE fts_state SET upto = ? WHERE id = 1 AND upto = ?", args: [end, from] },
      ]);
      return progress();
    },
  };
}
