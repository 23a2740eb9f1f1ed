/**
 * One conversation's message search (protocol/searchQuery.ts MessageSearch): words through the
 * full-text index, filters and the paging bound as plain conditions on `events`. Every host searches
 * here (the Bun host and the cluster with the index in a file of its own, Durable Objects inline).
 */
import type { MessageEvent, MessageSearch } from "../../protocol/index.ts";
import type { Sql, SqlValue } from "./sql.ts";
import type { SearchIndexer } from "./searchIndexer.ts";
import { EVENT_COLS, rowToEvent, type EventRow } from "./eventRows.ts";

const E_COLS = EVENT_COLS.split(", ").map((c) => "e." + c).join(", ");

export async function searchMessages(sql: Sql, indexer: SearchIndexer, convId: string, q: MessageSearch, limit: number): Promise<MessageEvent[]> {
  const where = ["e.conv_id = ?", "e.kind = 'message'", "e.deleted = 0"];
  const args: SqlValue[] = [convId];
  if (q.authors) {
    if (q.authors.length === 0) return [];
    where.push(`e.author IN (${q.authors.map(() => "?").join(",")})`);
    args.push(...q.authors);
  }
  if (q.after !== undefined) (where.push("e.ts >= ?"), args.push(q.after));
  if (q.before !== undefined) (where.push("e.ts < ?"), args.push(q.before));
  if (q.hasAttachment) where.push("json_extract(e.body, '$.attachments[0]') IS NOT NULL");
  if (q.below) (where.push("(e.ts < ? OR (e.ts = ? AND e.seq < ?))"), args.push(q.below.ts, q.below.ts, q.below.seq));
  const words = q.words.slice(0, 16);
  let rows: EventRow[];
  if (words.length > 0) {
    // Every word must match, each as a prefix. CROSS JOIN makes the FTS index drive the query;
    // otherwise SQLite walked every event of the conversation and probed per row.
    const match = words.map((w) => `"${w.replace(/"/g, '""')}"*`).join(" ");
    await indexer.catchUp();
    rows = await sql.all<EventRow>(
      `SELECT ${E_COLS} FROM ${indexer.table} f CROSS JOIN events e ON e.rowid = f.rowid
       WHERE f.events_fts MATCH ? AND ${where.join(" AND ")} ORDER BY e.ts DESC, e.seq DESC LIMIT ?`, [match, ...args, limit]);
  } else {
    // Filters alone: a walk of the conversation's messages (no index covers author, time or
    // attachments), ordered like the word search so the paging bound means the same.
    rows = await sql.all<EventRow>(
      `SELECT ${E_COLS} FROM events e WHERE ${where.join(" AND ")} ORDER BY e.ts DESC, e.seq DESC LIMIT ?`, [...args, limit]);
  }
  return rows.map((r) => rowToEvent(r) as MessageEvent);
}
