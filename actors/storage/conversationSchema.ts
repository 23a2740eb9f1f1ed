/**
 * Tables of conversation actors. Shared by the Bun host (one libSQL file, many conversations:
 * hence `conv_id` everywhere) and Durable Objects (one SQLite per conversation: `conv_id` is constant).
 *
 * `events` is the ordered log AND the materialized message state: a `message` row carries its current
 * text, edit time, tombstone and reactions; `edit`/`delete`/`reaction` rows stay in the log for replay.
 *
 * Only append-friendly indexes sit on the commit path (both keyed by conversation then seq/rowid):
 * - no unique (author, clientId) index: its random keys dirtied one page per message and halved the
 *   writer's throughput; duplicates are found by the actor's clientId window (clientIdWindow.ts);
 * - no full-text trigger on insert: searchIndexer.ts indexes new messages in bulk behind the commit
 *   (about 5x cheaper per row) and catches up before every search.
 */
export const conversationSchema = [
  `CREATE TABLE IF NOT EXISTS conversations (
     id TEXT PRIMARY KEY, type TEXT NOT NULL, title TEXT NOT NULL, epoch TEXT NOT NULL, created_ts INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS members (
     conv_id TEXT NOT NULL, user_id TEXT NOT NULL, username TEXT NOT NULL, role TEXT NOT NULL,
     read_seq INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (conv_id, user_id))`,
  `CREATE TABLE IF NOT EXISTS events (
     conv_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, ts INTEGER NOT NULL, author TEXT NOT NULL,
     client_id TEXT, text TEXT, body TEXT, edited_ts INTEGER, deleted INTEGER NOT NULL DEFAULT 0, reactions TEXT,
     PRIMARY KEY (conv_id, seq))`,
  `DROP INDEX IF EXISTS events_client`,
  `CREATE TABLE IF NOT EXISTS attachments (
     conv_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, size INTEGER NOT NULL,
     uploaded_by TEXT NOT NULL, created_ts INTEGER NOT NULL, PRIMARY KEY (conv_id, id))`,
  // Full-text search over message text (external content: the text lives once, in `events`).
  `CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(text, content='events', content_rowid='rowid')`,
  // Rows of `events` up to rowid `upto` are in events_fts. Created at the first migration that has it:
  // a database from before then was indexed by the old insert trigger, i.e. up to its last row.
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
