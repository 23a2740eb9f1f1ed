/**
 * `Sql` over a Durable Object's embedded SQLite (`ctx.storage.sql`). The DO API is synchronous and
 * local, so every call completes before the promise is created; promises only keep the shared `Sql`
 * shape. Writes are durable once the DO's output gate opens (responses and outgoing messages wait
 * for the write to commit), which is what "resolve after the commit is durable" means on this host.
 */
import { ChainBrokenError, materialize, type BatchStatements, type CommitChain, type Row, type Sql, type SqlValue, type Statement } from "../../actors/storage/sql.ts";

/** The slice of DurableObjectStorage this adapter uses (keeps it testable and runtime-typed). */
export interface DoStorageLike {
  sql: {
    exec(query: string, ...bindings: unknown[]): { toArray(): unknown[] };
  };
  transactionSync<T>(fn: () => T): T;
}

/** SQLite returns BLOBs as ArrayBuffer; the shared Sql surface speaks Uint8Array. */
function toRow(raw: unknown): Row {
  const row = raw as Record<string, unknown>;
  for (const k in row) {
    const v = row[k];
    if (v instanceof ArrayBuffer) row[k] = new Uint8Array(v);
  }
  return row as Row;
}

/** ...and takes BLOB bindings as ArrayBuffer, so views are copied out (exact bytes, no offset). */
function args(a: SqlValue[] | undefined): unknown[] {
  if (!a) return [];
  return a.map((v) => (v instanceof Uint8Array ? v.slice().buffer : v));
}

export class DoSql implements Sql {
  constructor(private readonly storage: DoStorageLike) {}

  /** Synchronous forms, for DO code that must not yield (e.g. inside blockConcurrencyWhile). */
  allSync<T = Row>(sql: string, a?: SqlValue[]): T[] {
    return this.storage.sql.exec(sql, ...args(a)).toArray().map(toRow) as T[];
  }

  runSync(sql: string, a?: SqlValue[]): { changes: number } {
    this.storage.sql.exec(sql, ...args(a)).toArray();
    // Not cursor.rowsWritten: that counts index and FTS-trigger rows too (measured: an INSERT into a
    // table with one extra index reports 3). changes() is SQLite's own count, as libSQL reports it.
    const row = this.storage.sql.exec("SELECT changes() AS n").toArray()[0] as { n: number };
    return { changes: row.n };
  }

  batchSync(statements: Statement[]): void {
    this.storage.transactionSync(() => {
      for (const s of statements) this.storage.sql.exec(s.sql, ...args(s.args)).toArray();
    });
  }

  async all<T = Row>(sql: string, a?: SqlValue[]): Promise<T[]> {
    return this.allSync<T>(sql, a);
  }

  async first<T = Row>(sql: string, a?: SqlValue[]): Promise<T | undefined> {
    return this.allSync<T>(sql, a)[0];
  }

  async run(sql: string, a?: SqlValue[]): Promise<{ changes: number }> {
    return this.runSync(sql, a);
  }

  /** Synchronous: each batch is committed (in order) before the next is submitted. */
  async batch(statements: BatchStatements, chain?: CommitChain): Promise<void> {
    if (chain?.failed) throw new ChainBrokenError();
    try {
      this.batchSync(materialize(statements));
    } catch (e) {
      if (chain) chain.failed = true;
      throw e;
    }
  }

  async migrate(statements: string[]): Promise<void> {
    this.storage.transactionSync(() => {
      for (const ddl of statements) this.storage.sql.exec(ddl).toArray();
    });
  }
}
