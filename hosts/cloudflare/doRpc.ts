/**
 * The RPC surfaces of Nexus's Durable Objects, as callers see them through a stub: the actors' remote
 * API (actors/api.ts) with every answer a promise. Derived here, not from the DO classes, so callers
 * never import DO classes and workers-types' stub generics stay out of actor code.
 */
import type { RemoteApi } from "../../actors/api.ts";
import type { Row, SqlValue, Statement } from "../../actors/storage/sql.ts";

/** Every method answers through a promise across RPC, whatever it returns in-process. */
type OverRpc<Api> = { [M in keyof Api]: Api[M] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never };

export type ConversationRpc = OverRpc<RemoteApi["conversation"]>;
export type InboxRpc = OverRpc<RemoteApi["inbox"]>;

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
  /** The sign-in session (refresh family) of the socket ticket. */
  session: "x-nexus-session",
} as const;
