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

/**
 * Batches that build on each other: a conversation actor submits its next batch while the previous
 * one is still committing (commitPipeline.ts), with seqs that continue it. Once a batch of a chain
 * fails, the Sql marks the chain failed and rejects every later batch of it unwritten, so the log
 * never gets a gap. Batches are applied in submission order.
 */
export interface CommitChain {
  failed: boolean;
}

export class ChainBrokenError extends Error {
  constructor() {
    super("an earlier batch of this commit chain failed");
  }
}

/**
 * The store may have committed a batch reported as failed: the connection broke after the server
 * committed (GroupCommit's `retryAlone` said no). Its caller must not assume the batch is absent.
 */
export class OutcomeUnknownError extends Error {
  constructor(readonly cause: unknown) {
    super(`the commit's outcome is unknown: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/**
 * After this commit failure, storage may differ from what the writer believes it holds: the batch
 * may be stored after all (OutcomeUnknownError), or a constraint refused it — which a writer that
 * checks its own invariants only meets when someone else wrote there (a fenced former owner of the
 * conversation). The writer must reload from storage before writing on.
 */
export function mayHaveDiverged(e: unknown): boolean {
  return e instanceof OutcomeUnknownError || /constraint failed/i.test(String((e as Error)?.message ?? ""));
}

/**
 * A batch's statements, or a function that returns them when the Sql takes the batch into a
 * transaction: until then the caller may keep adding to it (a conversation's open batch collects
 * every send that arrives while the previous group commit is on disk). It must not throw.
 */
export type BatchStatements = Statement[] | (() => Statement[]);

export const materialize = (b: BatchStatements): Statement[] => (typeof b === "function" ? b() : b);

/**
 * Where the full-text index of messages lives and how it is brought up to date. searchIndexer.ts
 * decides when. Two kinds: in the same database (inlineSearch.ts: Durable Objects, one small
 * database per conversation) or in a file of its own written by its own low-priority thread, so it
 * never holds up a group commit (libsqlSearch.ts: the Bun host, whose one file holds everything).
 */
export interface FullTextIndex {
  /** The FTS5 table as statements on this Sql name it, e.g. "search.events_fts". */
  readonly table: string;
  /** Rows of `events` up to rowid `upto` are indexed; `last` is the newest committed rowid. */
  progress(): Promise<IndexProgress>;
  /** Indexes the next chunk of committed rows, ending at rowid `to` at most (one chunk a call, so
   *  the caller can stop between chunks). */
  chunk(to: number): Promise<IndexProgress>;
}

export interface IndexProgress {
  upto: number;
  last: number;
}

/**
 * A local copy of the database that may trail it (cluster mode: each node's embedded libSQL replica
 * of the shared server). Reads from it skip the network; callers use it only where they can tell
 * whether it is fresh enough (SqlConversationStore checks that a seq they know is committed is
 * there, else `sync`s, else reads the primary). It is a transactionally consistent prefix.
 */
export interface ReplicaReads {
  all<T = Row>(sql: string, args?: SqlValue[]): Promise<T[]>;
  /** Afterwards the replica holds every transaction committed before the call. */
  sync(): Promise<void>;
  /** Synced recently: a reader that finds it trailing may wait for a sync rather than read the primary. */
  readonly warm: boolean;
  /** A reader considered the replica (it keeps syncing in the background while it is read). */
  noteRead(): void;
  /** Reads served by the replica, syncs asked for by a reader, reads that went to the primary,
   *  background syncs (done only while the replica is read). */
  readonly stats: { reads: number; syncs: number; fallbacks: number; backgroundSyncs: number };
}

export interface Sql {
  all<T = Row>(sql: string, args?: SqlValue[]): Promise<T[]>;
  first<T = Row>(sql: string, args?: SqlValue[]): Promise<T | undefined>;
  run(sql: string, args?: SqlValue[]): Promise<{ changes: number }>;
  /** Atomic: all statements commit or none do. Implementations may group several batches into one
   *  transaction (group commit) but must resolve each caller only after the commit is durable.
   *  Batches commit in the order they were submitted; see CommitChain for `chain`. */
  batch(statements: BatchStatements, chain?: CommitChain): Promise<void>;
  /** Idempotent DDL (CREATE … IF NOT EXISTS). */
  migrate(statements: string[]): Promise<void>;
  /** Set when the full-text index lives outside this database (see FullTextIndex). */
  readonly separateIndex?: FullTextIndex;
  /** Set when a local, possibly trailing copy can serve some reads (see ReplicaReads). */
  readonly replica?: ReplicaReads;
}
