/**
 * A conversation's side of moves between databases (actorTransfer.ts does the moving for every
 * kind): its tombstone table, and what its store's load asks of it (sqlConversationStore.ts).
 */
import type { Sql } from "./sql.ts";
import { clearMoved as clear, movedTo as tombstoneOf } from "./actorTransfer.ts";
import { CONVERSATION_MOVES, tombstoneSchema } from "./movableKinds.ts";

export const movedSchema = [tombstoneSchema(CONVERSATION_MOVES)];

/** Where the conversation went, when this database's copy is tombstoned. */
export const movedTo = (sql: Sql, id: string): Promise<string | null> => tombstoneOf(CONVERSATION_MOVES, sql, id);

/** This copy is the conversation again (homeMoves.ts confirmMoved said so). */
export const clearMoved = (sql: Sql, id: string, stamp?: number): Promise<void> => clear(CONVERSATION_MOVES, sql, id, stamp);
