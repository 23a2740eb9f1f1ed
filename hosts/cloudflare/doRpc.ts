/**
 * The RPC surfaces of Nexus's Durable Objects, as callers see them through a stub. Declared here (not
 * derived from the classes) so callers never import DO classes and workers-types' stub generics stay
 * out of actor code. The classes implement these interfaces, so the two cannot drift.
 */
import type { ConversationApi, InboxApi } from "../../actors/api.ts";
import type { InboxUpdate, RingNotice } from "../../actors/ports.ts";
import type { Presence } from "../../protocol/index.ts";
import type { Row, SqlValue, Statement } from "../../actors/storage/sql.ts";

export type ConversationRpc = ConversationApi;

export interface InboxRpc extends InboxApi {
  apply(update: InboxUpdate): Promise<void>;
  ring(notice: RingNotice): Promise<void>;
  presenceChanged(p: Presence): Promise<void>;
}

/** The directory's SQLite, remoted verbatim (see hosts/cloudflare/remoteSql.ts). */
export interface DirectoryRpc {
  all(sql: string, args?: SqlValue[]): Promise<Row[]>;
  first(sql: string, args?: SqlValue[]): Promise<Row | undefined>;
  run(sql: string, args?: SqlValue[]): Promise<{ changes: number }>;
  batch(statements: Statement[]): Promise<void>;
  migrate(statements: string[]): Promise<void>;
}

/** Headers the Worker sets when it forwards a verified WebSocket upgrade to a DO. Clients' own
 *  copies of these headers are dropped by the Worker, so a DO can trust them. */
export const ForwardHeaders = {
  user: "x-nexus-user",
  after: "x-nexus-after",
  epoch: "x-nexus-epoch",
  /** The DO's name (conversation id or user id), in case the runtime does not give ctx.id.name. */
  target: "x-nexus-target",
} as const;
