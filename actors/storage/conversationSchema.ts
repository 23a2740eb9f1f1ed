/**
 * Tables of conversation actors. Shared by the Bun host (one libSQL file, many conversations:
 * hence `conv_id` everywhere) and Durable Objects (one SQLite per conversation: `conv_id` is constant).
 *
 * `events` is the ordered log AND the materialized message state: a `message` row carries its current
 * text, edit time, tombstone and reactions; `edit`/`delete`/`reaction` rows stay in the log for replay.
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
  // Idempotency: one event per (author, clientId) in a conversation, forever.
  `CREATE UNIQUE INDEX IF NOT EXISTS events_client ON events (conv_id, author, client_id) WHERE client_id IS NOT NULL`,
  `CREATE TABLE IF NOT EXISTS attachments (
     conv_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, size INTEGER NOT NULL,
     uploaded_by TEXT NOT NULL, created_ts INTEGER NOT NULL, PRIMARY KEY (conv_id, id))`,
  // Full-text search over message text (external content: the text lives once, in `events`).
  `CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(text, content='events', content_rowid='rowid')`,
  `CREATE TRIGGER IF NOT EXISTS events_fts_insert AFTER INSERT ON events WHEN new.kind = 'message' BEGIN
     INSERT INTO events_fts (rowid, text) VALUES (new.rowid, new.text); END`,
  `CREATE TRIGGER IF NOT EXISTS events_fts_update AFTER UPDATE OF text ON events WHEN old.kind = 'message' BEGIN
     INSERT INTO events_fts (events_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
     INSERT INTO events_fts (rowid, text) VALUES (new.rowid, new.text); END`,
];
