/**
 * The search-index thread of the Bun host (libsqlSearch.ts). The full-text index lives in a file of
 * its own, written only here, at low CPU priority: in the main file it would share the one write lock
 * and the writer thread with every message, and a 2,000-row chunk held up the group commits behind it
 * by 10-30 ms under load. The main file is attached for reading (WAL: committed rows only).
 *
 * The index is contentless (the text lives once, in `events`) with contentless_delete, so an edited
 * or deleted message can be taken out by rowid. Rows of `events` up to `fts_state.upto` are indexed;
 * edits and deletes are log rows too, so indexing a range also re-indexes the earlier messages that
 * the range's edits and deletes changed.
 */
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { CHUNK_ROWS } from "../../../actors/storage/inlineSearch.ts";
import { LibsqlConnection } from "./libsqlStatements.ts";

interface Open { t: "open"; path: string; mainPath: string; nice: number }
/** `progress`: where the index stands. `chunk`: index one chunk, up to rowid `to` at most (one chunk a
 *  message, so a stop or a search's target is honoured between chunks: searchIndexer.ts loops). */
interface Progress { t: "progress"; id: number }
interface Chunk { t: "chunk"; id: number; to: number }

declare const self: Worker;
let conn: LibsqlConnection | null = null;

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

function open(m: Open): void {
  conn = new LibsqlConnection(m.path, "NORMAL"); // derived data: a crash loses at most recent indexing, consistently
  conn.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(text, content='', contentless_delete=1)`);
  // `origin`: the first event of the database indexed (conversation and time), to tell it from another.
  conn.exec(`CREATE TABLE IF NOT EXISTS fts_state (id INTEGER PRIMARY KEY CHECK (id = 1), upto INTEGER NOT NULL, origin TEXT)`);
  conn.exec(`INSERT OR IGNORE INTO fts_state (id, upto) VALUES (1, 0)`);
  conn.exec(`ATTACH DATABASE ${quote(m.mainPath)} AS m`);
  // An index of another database (the main file was replaced or restored from a backup): start over.
  const { upto, last } = progress();
  const saved = conn.all<{ origin: string | null }>("SELECT origin FROM fts_state WHERE id = 1", [])[0]!.origin;
  if (upto > last || (saved !== null && saved !== origin())) {
    // 'delete-all' drops the index in one step (a row-by-row DELETE took ~10 s for 2M rows).
    transaction(() => {
      conn!.exec("INSERT INTO events_fts (events_fts) VALUES ('delete-all')");
      conn!.exec("UPDATE fts_state SET upto = 0, origin = NULL");
    });
  }
  // Lower this thread's priority only (a thread id is a pid to setpriority); raising it back would
  // need privileges, so it is done once. Best effort: some systems refuse.
  try {
    setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), m.nice);
  } catch {}
}

function progress(): { upto: number; last: number } {
  const upto = Number(conn!.all<{ upto: number }>("SELECT upto FROM fts_state WHERE id = 1", [])[0]!.upto);
  let last = 0;
  try {
    last = Number(conn!.all<{ n: number }>("SELECT COALESCE(MAX(rowid), 0) AS n FROM m.events", [])[0]!.n);
  } catch (e) {
    if (!/no such table/.test(String(e))) throw e; // not migrated yet: nothing to index
  }
  return { upto, last };
}

function origin(): string | null {
  try {
    const r = conn!.all<{ o: string }>("SELECT conv_id || ':' || ts AS o FROM m.events ORDER BY rowid LIMIT 1", [])[0];
    return r?.o ?? null;
  } catch {
    return null; // not migrated yet
  }
}

/** One transaction of the search file. Deferred BEGIN: IMMEDIATE would also take the main file's
 *  write lock. */
function transaction(body: () => void): void {
  const c = conn!;
  c.exec("BEGIN");
  try {
    body();
    c.exec("COMMIT");
  } catch (e) {
    if (c.inTransaction) c.exec("ROLLBACK"); // SQLite may have rolled back already (I/O error, disk full)
    throw e;
  }
}

/** Indexes (from, to]. */
function indexRange(from: number, to: number): void {
  const c = conn!;
  transaction(() => {
    // Messages indexed before this range whose text an edit or delete in it changed.
    const changed = c.all<{ rid: number; text: string | null; deleted: number }>(
      `SELECT DISTINCT t.rowid AS rid, t.text AS text, t.deleted AS deleted FROM m.events x
       JOIN m.events t ON t.conv_id = x.conv_id AND t.seq = json_extract(x.body, '$.target')
       WHERE x.rowid > ? AND x.rowid <= ? AND x.kind IN ('edit', 'delete') AND t.rowid <= ? AND t.kind = 'message'`,
      [from, to, from]);
    for (const r of changed) {
      c.run("DELETE FROM events_fts WHERE rowid = ?", [r.rid]);
      if (!r.deleted && r.text) c.run("INSERT INTO events_fts (rowid, text) VALUES (?, ?)", [r.rid, r.text]);
    }
    // New messages, with their current text (a later edit re-indexes them when its row comes).
    c.run(`INSERT INTO events_fts (rowid, text) SELECT rowid, text FROM m.events
           WHERE rowid > ? AND rowid <= ? AND kind = 'message' AND deleted = 0`, [from, to]);
    c.run("UPDATE fts_state SET upto = ?, origin = COALESCE(origin, ?) WHERE id = 1", [to, origin()]);
  });
}

/** Indexes one chunk after `upto`, ending at `to` at most; returns where the index then stands. */
function chunk(to: number): { upto: number; last: number } {
  const { upto, last } = progress();
  const end = Math.min(to, last, upto + CHUNK_ROWS);
  if (end > upto) indexRange(upto, end);
  return progress();
}

self.onmessage = (e: MessageEvent<Open | Progress | Chunk>) => {
  const m = e.data;
  if (m.t === "open") {
    try {
      open(m);
      self.postMessage({ t: "ready" });
    } catch (err) {
      self.postMessage({ t: "ready", error: String(err) });
    }
    return;
  }
  try {
    self.postMessage({ t: "done", id: m.id, ...(m.t === "chunk" ? chunk(m.to) : progress()) });
  } catch (err) {
    self.postMessage({ t: "done", id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
};
