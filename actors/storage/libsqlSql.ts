/**
 * `Sql` over @libsql/client for the Bun host: one libSQL file holds every conversation.
 *
 * Group commit: batches submitted in the same tick (from many actors) are written as ONE transaction,
 * so a burst of sends across conversations costs one fsync. Each caller is resolved only after that
 * transaction commits. If the combined transaction fails, each batch is retried alone so one bad
 * batch cannot fail its neighbours.
 */
import { createClient, type Client, type InStatement } from "@libsql/client";
import type { Row, Sql, SqlValue, Statement } from "./sql.ts";

interface Waiting {
  statements: Statement[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface LibsqlOptions {
  /** "full" fsyncs every commit (survives power loss); "normal" survives process crashes only. */
  synchronous?: "full" | "normal";
}

export class LibsqlSql implements Sql {
  private queue: Waiting[] = [];
  private writing = false;
  /** Number of transactions and batches written, for metrics. */
  stats = { transactions: 0, batches: 0 };

  private constructor(readonly client: Client) {}

  static async open(path: string, opts: LibsqlOptions = {}): Promise<LibsqlSql> {
    const client = createClient({ url: path.startsWith("file:") || path === ":memory:" ? path : `file:${path}` });
    const sql = new LibsqlSql(client);
    await client.execute("PRAGMA journal_mode=WAL");
    await client.execute(`PRAGMA synchronous=${opts.synchronous === "normal" ? "NORMAL" : "FULL"}`);
    await client.execute("PRAGMA busy_timeout=5000");
    return sql;
  }

  async all<T = Row>(sql: string, args: SqlValue[] = []): Promise<T[]> {
    const rs = await this.client.execute({ sql, args: args as any });
    return rs.rows as unknown as T[];
  }

  async first<T = Row>(sql: string, args: SqlValue[] = []): Promise<T | undefined> {
    const rows = await this.all<T>(sql, args);
    return rows[0];
  }

  async run(sql: string, args: SqlValue[] = []): Promise<{ changes: number }> {
    const rs = await this.client.execute({ sql, args: args as any });
    return { changes: rs.rowsAffected };
  }

  batch(statements: Statement[]): Promise<void> {
    if (statements.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ statements, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        // Let every actor that runs in this tick add its batch first.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      try {
        await this.write(group.flatMap((w) => w.statements));
        for (const w of group) w.resolve();
      } catch (e) {
        if (group.length === 1) group[0]!.reject(e);
        else
          for (const w of group) {
            try {
              await this.write(w.statements);
              w.resolve();
            } catch (err) {
              w.reject(err);
            }
          }
      }
    }
    this.writing = false;
  }

  private async write(statements: Statement[]): Promise<void> {
    this.stats.transactions++;
    this.stats.batches += statements.length;
    await this.client.batch(statements.map((s) => ({ sql: s.sql, args: (s.args ?? []) as any }) as InStatement), "write");
  }

  async migrate(statements: string[]): Promise<void> {
    for (const s of statements) await this.client.execute(s);
  }

  close(): void {
    this.client.close();
  }
}

export const openLibsql = (path: string, opts?: LibsqlOptions) => LibsqlSql.open(path, opts);
