/**
 * What a move between two databases carries, per kind of actor (cluster mode moves conversations
 * and inboxes to another region's libSQL server: hosts/cluster/homeMoves.ts). One description per
 * kind, read by the fence (moveFence.ts) and the copy (actorTransfer.ts), so both kinds move by the
 * same code: a kind is its tables (each keyed by the actor's id), its tombstone table, and which
 * writes its fence refuses, and its owner fence's table (ownerFence.ts: the token of its writer).
 */
/** Where a kind's owner fence keeps one token per actor (ownerFence.ts); the cluster's migration
 *  makes it (ownerFence.ts fenceSchema). Its CHECK constraint is named `owner_fence` for every kind. */
export interface FenceTable {
  table: string;
  /** The column holding the actor's id. */
  key: string;
}

export interface MovableTable {
  name: string;
  /** The column holding the actor's id. */
  key: string;
  /** Export order (a conversation's events in seq order). */
  order: string;
}

export interface MovableKind {
  kind: "conversation" | "inbox";
  /** One row per tombstoned copy: (id, region it moved to, the move attempt's stamp). */
  tombstones: string;
  tables: readonly MovableTable[];
  /** The tables whose writes a tombstone refuses (moveFence.ts); each kind's migration makes them. */
  fenced: readonly string[];
  /** Statements a tombstone refuses there. A conversation's rows are deleted only by its own
   *  commits (which insert too) and by the attachment sweep, so INSERT and UPDATE fence it; an
   *  inbox's removals (a push subscription, a left conversation) are plain DELETEs. */
  fencedOps: ReadonlyArray<"INSERT" | "UPDATE" | "DELETE">;
  /** A copy with no rows is no such actor (a conversation), or an empty one (an inbox). */
  mustExist: boolean;
  /** Its owner fence (a move's import advances it: actorTransfer.ts importPage). */
  fence: FenceTable;
}

export const CONVERSATION_MOVES: MovableKind = {
  kind: "conversation",
  tombstones: "moved_conversations",
  tables: [
    { name: "conversations", key: "id", order: "id" },
    { name: "members", key: "conv_id", order: "rowid" },
    { name: "attachments", key: "conv_id", order: "rowid" },
    { name: "events", key: "conv_id", order: "seq" },
    { name: "thread_follows", key: "conv_id", order: "rowid" },
  ],
  fenced: ["conversations", "members", "attachments", "events"],
  fencedOps: ["INSERT", "UPDATE"],
  mustExist: true,
  fence: { table: "conversation_fences", key: "conv_id" },
};

const INBOX_TABLES = ["inbox_rows", "last_seen", "chosen_status", "notify_settings", "push_subscriptions", "pending_uploads"];

export const INBOX_MOVES: MovableKind = {
  kind: "inbox",
  tombstones: "moved_inboxes",
  tables: INBOX_TABLES.map((name) => ({ name, key: "user_id", order: "rowid" })),
  fenced: INBOX_TABLES,
  fencedOps: ["INSERT", "UPDATE", "DELETE"],
  mustExist: false,
  fence: { table: "inbox_fences", key: "user_id" },
};

export const MOVABLE = { conversation: CONVERSATION_MOVES, inbox: INBOX_MOVES } as const;

/** The tombstone table of a kind (the kind's migration makes it). */
export const tombstoneSchema = (k: MovableKind) =>
  `CREATE TABLE IF NOT EXISTS ${k.tombstones} (id TEXT PRIMARY KEY, region TEXT NOT NULL, ts INTEGER NOT NULL)`;
