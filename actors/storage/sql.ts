/**
 * The one SQL surface actors and edge services are written against. Implemented over
 * @libsql/client (Bun host: one file, many conversations) and over Durable Object `ctx.storage.sql`
 * (one SQLite per conversation). Both are SQLite, so the statements are shared.
 */
export type SqlValue = string | number | null | Uint8Array;
export type Row = Record<string, SqlValue>;
export interface Statement {
  sql: string;
  args?: SqlValue[];
}

export interface Sql {
  all<T = Row>(sql: string, args?: SqlValue[]): Promise<T[]>;
  first<T = Row>(sql: string, args?: SqlValue[]): Promise<T | undefined>;
  run(sql: string, args?: SqlValue[]): Promise<{ changes: number }>;
  /** Atomic: all statements commit or none do. Implementations may group several batches into one
   *  transaction (group commit) but must resolve each caller only after the commit is durable. */
  batch(statements: Statement[]): Promise<void>;
  /** Idempotent DDL (CREATE … IF NOT EXISTS). */
  migrate(statements: string[]): Promise<void>;
}
