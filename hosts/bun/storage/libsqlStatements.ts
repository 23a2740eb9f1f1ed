/**
 * A libSQL connection (the `libsql` engine binding, the one under @libsql/client) with a cache of
 * prepared statements: compiling SQL on every call cost ~3x the work of the hot path. Used by both
 * threads of the Bun host's Sql (libsqlSql.ts reads, libsqlWriter.worker.ts commits).
 */
import Database from "libsql";
import type { SqlValue, Statement } from "../../../actors/storage/sql.ts";

const MAX_CACHED = 512;

export class LibsqlConnection {
  private readonly db: Database.Database;
  private readonly cache = new Map<string, Database.Statement>();

  constructor(path: string, synchronous?: "FULL" | "NORMAL") {
    this.db = new Database(path);
    this.db.exec("PRAGMA journal_mode=WAL");
    this.db.exec("PRAGMA busy_timeout=5000");
    if (synchronous) this.db.exec(`PRAGMA synchronous=${synchronous}`);
  }

  private prepared(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      // Statements with a variable number of `?` (IN lists) could grow the cache without end.
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  all<T>(sql: string, args: SqlValue[]): T[] {
    return this.prepared(sql).all(...args) as T[];
  }

  run(sql: string, args: SqlValue[]): { changes: number } {
    return { changes: Number(this.prepared(sql).run(...args).changes) };
  }

  /** One write transaction; rolls back on any error. */
  transaction(statements: Statement[]): void {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      for (const s of statements) this.prepared(s.sql).run(...(s.args ?? []));
      this.db.exec("COMMIT");
    } catch (e) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      throw e;
    }
  }

  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  close(): void {
    this.cache.clear();
    this.db.close();
  }
}
