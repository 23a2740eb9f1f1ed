/**
 * `Sql` over a local libSQL file for the Bun host: one file holds every conversation.
 *
 * Writes go to a writer thread (libsqlWriter.worker.ts) as group commits: while one transaction is
 * being committed (and fsynced), batches from every actor queue up and become the next transaction.
 * So the event loop never waits on the disk, and a burst of sends across conversations costs one
 * fsync. Each caller is resolved only after its transaction commits. If a combined transaction fails,
 * each batch is retried alone so one bad batch cannot fail its neighbours. The queue and its rules
 * (CommitChain, BatchStatements, spacing) are groupCommit.ts, shared with remoteLibsql.ts.
 * Reads use this thread's own connection (WAL: they see committed data only). Both connections
 * cache prepared statements (libsqlStatements.ts). The full-text index is a file and thread of its
 * own (libsqlSearch.ts), attached to the reading connection as `search`.
 */
import { GroupCommit } from "./groupCommit.ts";
import { LibsqlSearch } from "./libsqlSearch.ts";
import { LibsqlConnection } from "./libsqlStatements.ts";
import type { BatchStatements, CommitChain, Row, Sql, SqlValue, Statement } from "../../../actors/storage/sql.ts";

export interface LibsqlOptions {
  /** "full" fsyncs every commit (survives power loss); "normal" survives process crashes only. */
  synchronous?: "full" | "normal";
  /**
   * At most one group commit starts per this many ms. Every transaction costs a fixed amount (an
   * fsync, WAL frames for each page it touches, a round trip and wake-up of both threads): with many
   * busy conversations and nothing to wait for, the writer ran ~900 tiny transactions a second.
   * Spacing them 2 ms apart cut the server's CPU by 15-20% at 150k deliveries/s (100 conversations)
   * for 1-2 ms of p50. A send after a quiet moment is not delayed at all, and under heavy load a
   * transaction takes longer than the interval anyway. 0 = start the next one at once.
   */
  commitIntervalMs?: number;
}

/**
 * Structured-cloning thousands of statement objects per second to the writer cost a fifth of the
 * main thread; one JSON string (SQL texts sent once, then referred to by id) is a plain copy.
 * Returns null when an argument is binary (JSON cannot carry it): the caller sends it unpacked.
 */
const MAX_SQL_IDS = 4096;
export function packStatements(statements: Statement[], ids: Map<string, number>): string | null {
  const defs: Array<[number, string]> = [];
  const rows: Array<[number | string, SqlValue[]]> = [];
  for (const s of statements) {
    const args = s.args ?? [];
    for (const a of args) if (a instanceof Uint8Array) return null;
    let id = ids.get(s.sql);
    if (id === undefined && ids.size < MAX_SQL_IDS) {
      id = ids.size;
      ids.set(s.sql, id);
      defs.push([id, s.sql]);
    }
    rows.push([id ?? s.sql, args]);
  }
  return JSON.stringify([defs, rows]);
}

const WRITES = /^\s*(INSERT|UPDATE|DELETE|REPLACE|WITH)\b/i;

export class LibsqlSql implements Sql {
  private readonly commits: GroupCommit;
  private nextId = 1;
  private replies = new Map<number, (error?: string, result?: unknown) => void>();
  /** SQL texts the writer already knows, by id (see packStatements). */
  private readonly sqlIds = new Map<string, number>();
  /** Write transactions and statements committed, for metrics. */
  stats = { transactions: 0, batches: 0 };

  private constructor(
    private readonly reader: LibsqlConnection,
    private readonly writer: Worker,
    readonly separateIndex: LibsqlSearch,
    commitIntervalMs: number,
  ) {
    this.commits = new GroupCommit((statements) => this.write(statements), commitIntervalMs);
    writer.onmessage = (e: MessageEvent<{ t: string; id: number; error?: string; result?: unknown }>) => {
      const reply = this.replies.get(e.data.id);
      this.replies.delete(e.data.id);
      reply?.(e.data.error, e.data.result);
    };
  }

  static async open(path: string, opts: LibsqlOptions = {}): Promise<LibsqlSql> {
    const file = path.replace(/^file:/, "");
    const reader = new LibsqlConnection(file);
    const writer = new Worker(new URL("./libsqlWriter.worker.ts", import.meta.url).href);
    await new Promise<void>((resolve, reject) => {
      writer.onmessage = (e: MessageEvent<{ t: string; error?: string }>) =>
        e.data.error ? reject(new Error(`libSQL writer failed to open ${file}: ${e.data.error}`)) : resolve();
      writer.onerror = (e) => reject(new Error(`libSQL writer crashed: ${e.message}`));
      writer.postMessage({ t: "open", path: file, synchronous: opts.synchronous === "normal" ? "NORMAL" : "FULL" });
    });
    writer.onerror = (e) => console.error("[libsql] writer thread error", e.message);
    let search: LibsqlSearch;
    try {
      search = await LibsqlSearch.open(file);
      reader.exec(`ATTACH DATABASE '${search.path.replace(/'/g, "''")}' AS search`);
    } catch (e) {
      writer.terminate(); // or the process would stay up on a half-open Sql
      reader.close();
      throw e;
    }
    return new LibsqlSql(reader, writer, search, opts.commitIntervalMs ?? 0);
  }

  /** Reads run here; a writing statement (e.g. INSERT … RETURNING) goes to the writer thread, so
   *  this thread never waits on the write lock. */
  async all<T = Row>(sql: string, args: SqlValue[] = []): Promise<T[]> {
    if (WRITES.test(sql)) return this.query(sql, args, true) as Promise<T[]>;
    return this.reader.all<T>(sql, args);
  }

  async first<T = Row>(sql: string, args: SqlValue[] = []): Promise<T | undefined> {
    const rows = await this.all<T>(sql, args);
    return rows[0];
  }

  /** A single write outside the group commit (accounts), on the writer thread. */
  async run(sql: string, args: SqlValue[] = []): Promise<{ changes: number }> {
    return this.query(sql, args, false) as Promise<{ changes: number }>;
  }

  private query(sql: string, args: SqlValue[], rows: boolean): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.replies.set(id, (error, result) => (error === undefined ? resolve(result) : reject(new Error(error))));
      this.writer.postMessage({ t: "query", id, sql, args, rows });
    });
  }

  batch(batch: BatchStatements, chain?: CommitChain): Promise<void> {
    return this.commits.submit(batch, chain);
  }

  private write(statements: Statement[]): Promise<void> {
    this.stats.transactions++;
    this.stats.batches += statements.length;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.replies.set(id, (error) => (error === undefined ? resolve() : reject(new Error(error))));
      const packed = packStatements(statements, this.sqlIds);
      this.writer.postMessage(packed === null ? { t: "write", id, statements } : { t: "packed", id, packed });
    });
  }

  async migrate(statements: string[]): Promise<void> {
    for (const s of statements) this.reader.exec(s);
  }

  /** Waits for queued writes, then stops the writer thread. */
  async close(): Promise<void> {
    await this.commits.whenIdle();
    while (this.replies.size > 0) await new Promise((r) => setTimeout(r, 5));
    this.writer.terminate();
    await this.separateIndex.close();
    this.reader.close();
  }
}

export const openLibsql = (path: string, opts?: LibsqlOptions) => LibsqlSql.open(path, opts);
