/**
 * How a conversation event is a row of `events` (conversationSchema.ts): the fields every event has
 * are columns, the rest of the event is the `body` JSON; edits, deletes and reactions are folded
 * into their message's columns by the store's patches.
 */
import type { ConversationEvent } from "../../protocol/index.ts";
import type { SqlValue, Statement } from "./sql.ts";

export const EVENT_COLS = "seq, kind, ts, author, client_id, text, body, edited_ts, deleted, reactions";

/** Columns that are not part of `body` JSON. */
const COLUMN_KEYS = new Set(["seq", "kind", "ts", "author", "clientId", "text", "editedTs", "deleted", "reactions"]);

export type EventRow = {
  seq: number; kind: string; ts: number; author: string; client_id: string | null; text: string | null;
  body: string | null; edited_ts: number | null; deleted: number; reactions: string | null;
};

export function rowToEvent(r: EventRow): ConversationEvent {
  const e: Record<string, unknown> = r.body ? JSON.parse(r.body) : {};
  e.seq = Number(r.seq);
  e.kind = r.kind;
  e.ts = Number(r.ts);
  e.author = r.author;
  if (r.client_id !== null) e.clientId = r.client_id;
  if (r.text !== null) e.text = r.text;
  if (r.edited_ts !== null) e.editedTs = Number(r.edited_ts);
  if (r.deleted) e.deleted = true;
  if (r.reactions) e.reactions = JSON.parse(r.reactions);
  return e as ConversationEvent;
}

function bodyOf(e: ConversationEvent): string | null {
  let body: Record<string, unknown> | null = null;
  for (const k in e) {
    if (COLUMN_KEYS.has(k)) continue;
    (body ??= {})[k] = (e as any)[k];
  }
  return body ? JSON.stringify(body) : null;
}

/** Events are inserted by multi-row INSERTs of these sizes (largest first): a statement per row cost
 *  the writer thread a binding round trip per row. Few sizes, so each is prepared once. */
const INSERT_SIZES = [32, 8, 1];
const insertSql = new Map<number, string>();

export function insertEvents(convId: string, events: ConversationEvent[], st: Statement[]): void {
  let i = 0;
  for (const size of INSERT_SIZES)
    for (; events.length - i >= size; i += size) {
      let sql = insertSql.get(size);
      if (!sql) {
        sql = `INSERT INTO events (conv_id, ${EVENT_COLS}) VALUES ` + Array(size).fill("(?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, NULL)").join(", ");
        insertSql.set(size, sql);
      }
      const args: SqlValue[] = [];
      for (let k = i; k < i + size; k++) {
        const e = events[k]!;
        args.push(convId, e.seq, e.kind, e.ts, e.author, "clientId" in e ? e.clientId : null,
          e.kind === "message" || e.kind === "edit" ? e.text : null, bodyOf(e));
      }
      st.push({ sql, args });
    }
}
