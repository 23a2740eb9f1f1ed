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
 *   (about 5x cheaper per row) and catches up before every search. The index itself is in
 *   inlineSearch.ts (same database) or libsqlSearch.ts (a file of its own).
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
  // Pinned messages only (a partial index: other rows add nothing to it), for the pins list.
  `CREATE INDEX IF NOT EXISTS events_pinned ON events (conv_id, seq) WHERE kind = 'message' AND json_extract(body, '$.pinned') IS NOT NULL`,
  // The group's picture and description changes only (groupProfileRows.ts reads the newest at load).
  `CREATE INDEX IF NOT EXISTS events_profile ON events (conv_id, seq) WHERE kind = 'profile'`,
  `CREATE TABLE IF NOT EXISTS attachments (
     conv_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, size INTEGER NOT NULL,
     uploaded_by TEXT NOT NULL, created_ts INTEGER NOT NULL, PRIMARY KEY (conv_id, id))`,
];
