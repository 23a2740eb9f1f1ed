/**
 * `Sql` over a shared libSQL server (sqld) for cluster mode: every Bun node stores history in the
 * same database, reached over HTTP with @libsql/client.
 *
 * Same semantics as the single-node LibsqlSql (libsqlSql.ts), through the same queue (groupCommit.ts):
 * batches queued while one transaction is in flight become the next transaction, one
 * `client.batch(statements, "write")` call (BEGIN IMMEDIATE … COMMIT on the server, one HTTP round
 * trip); a caller is resolved only after its transaction committed; CommitChain and BatchStatements
 * as in sql.ts. Over the network the round trip is the fixed cost per transaction, so grouping
 * matters even more than locally.
 *
 * Failures whose outcome is unknown. If the server answered with an SQL error (a constraint, a bad
 * statement, a busy database), the transaction was rolled back and nothing of it was written: the
 * batches of a failed group are retried one by one as LibsqlSql does. Any other failure (connection
 * refused or reset, a timeout, an HTTP 5xx, a garbled answer) may have come after the server
 * committed. Retrying then could apply a batch twice (a counter bumped twice, or a conversation's
 * events reported as failed by their own duplicate-key error although they are stored), so every
 * batch of that transaction is rejected instead, with its chain marked failed, and none is retried
 * here: they are rejected with OutcomeUnknownError, and a conversation actor that sees one reloads
 * from storage before writing on (commitPipeline.ts, storage.mayHaveDiverged). Clients resend by
 * clientId; a resend of a batch that was stored after all is answered as a duplicate.
 *
 * Reads and single statements (`all`, `first`, `run`) are one HTTP request each and see every
 * committed transaction. There is no `separateIndex`: the full-text index lives in the database
 * itself (inlineSearch.ts, as on Durable Objects), since there is no local file to put it in.
 */
import { createClient, LibsqlError, type Client, type InValue, type ResultSet } from "@libsql/client/http";
import { GroupCommit } from "./groupCommit.ts";
import type { BatchStatements, CommitChain, ReplicaReads, Row, Sql, SqlValue, Statement } from "./sql.ts";

export interface RemoteLibsqlOptions {
  /** sqld's `--auth-jwt-key-file` JWT, if the server wants one. */
  authToken?: string;
  /** At most one group commit starts per this many ms (see LibsqlOptions in libsqlSql.ts). */
  commitIntervalMs?: number;
  /** An HTTP request that has not been answered by then is abandoned (and its outcome is unknown):
   *  a hung server must not hold every later commit forever. Default 30 s. */
  requestTimeoutMs?: number;
  /** A file for an embedded replica of the server (ReplicaReads): history and resume replays are
   *  read from it when it holds what they need. Writes always go to the server directly. */
  replicaPath?: string;
  /** How often the replica pulls in the background while it is being read, ms; a read that needs
   *  newer data syncs first anyway. Default 10 s: pulling every second cost ~25% more CPU in the
   *  cluster bench (sqld serving frames, the replica applying them) for reads that would have synced
   *  on demand. See EmbeddedReplica for when it stops pulling. */
  replicaSyncMs?: number;
}

/** Errors that prove the server rolled the transaction back: SQLite's own codes, and a statement
 *  skipped because an earlier one of the batch failed. Everything else leaves the outcome unknown. */
export function provesNothingWritten(e: unknown): boolean {
  return e instanceof LibsqlError && (e.code.startsWith("SQLITE_") || e.code === "TRANSACTION_CLOSED");
}

/** JS numbers are sent as floats unless they are integers (hrana encodes `number` as a float, and
 *  `LIMIT 10.0` is a datatype mismatch), like the local binding, which binds integral numbers as
 *  INTEGER. Uint8Array goes as a blob. */
export function toArgs(args: SqlValue[] | undefined): InValue[] {
  if (!args) return [];
  return args.map((a) => (typeof a === "number" && Number.isSafeInteger(a) ? BigInt(a) : a));
}

/** Result rows as the local connection returns them: plain objects by column name, integers as
 *  numbers (an integer beyond 2^53 stays a bigint rather than be silently rounded), blobs as Uint8Array. */
export function toRows<T>(rs: ResultSet): T[] {
  const cols = rs.columns;
  const out: T[] = new Array(rs.rows.length);
  for (let r = 0; r < rs.rows.length; r++) {
    const row = rs.rows[r]!;
    const o: Record<string, unknown> = {};
    for (let c = 0; c < cols.length; c++) {
      const v = row[c];
      o[cols[c]!] =
        typeof v === "bigint" ? (v >= Number.MIN_SAFE_INTEGER && v <= Number.MAX_SAFE_INTEGER ? Number(v) : v)
        : v instanceof ArrayBuffer ? new Uint8Array(v)
        : v;
    }
    out[r] = o as T;
  }
  return out;
}

/** The embedded replica: @libsql/client's file database that syncs from the server, run in its own
 *  thread (libsqlReplica.worker.ts) because its sync blocks.
 *
 *  It pulls only while it is read. A replica applies every page the primary writes, whoever wrote
 *  it: at 2k messages/s that cost a node a quarter of a core whether or not it ever read history (an
 *  edge-only node never does). So the background sync runs only if a read came since the previous
 *  one, and a replica that has not synced for two intervals is cold: a read then goes to the server
 *  instead of waiting for a pull of everything written since it went idle, and the next background
 *  tick warms it up. */
class EmbeddedReplica implements ReplicaReads {
  readonly stats = { reads: 0, syncs: 0, fallbacks: 0, backgroundSyncs: 0 };
  private syncing: Promise<void> | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;
  private nextId = 1;
  private replies = new Map<number, (r: { rows?: unknown[]; error?: string }) => void>();
  private readonly worker: Worker;
  /** When the newest successful sync started (performance.now()); 0 = never. */
  private lastSyncStart = 0;
  private readSinceTick = false;

  private constructor(private readonly syncMs: number) {
    this.worker = new Worker(new URL("./libsqlReplica.worker.ts", import.meta.url).href);
    this.worker.onmessage = (e: MessageEvent<{ id: number; rows?: unknown[]; error?: string }>) => {
      const reply = this.replies.get(e.data.id);
      this.replies.delete(e.data.id);
      reply?.(e.data);
    };
  }

  static async open(path: string, syncUrl: string, authToken: string | undefined, syncMs: number): Promise<EmbeddedReplica> {
    const r = new EmbeddedReplica(syncMs);
    const started = performance.now();
    try {
      await r.ask({ t: "open", path, syncUrl, authToken });
    } catch (e) {
      r.worker.terminate();
      throw e;
    }
    r.lastSyncStart = started;
    r.timer = setInterval(() => r.tick(), syncMs);
    r.timer.unref?.();
    return r;
  }

  /** Synced recently enough that a read which finds it trailing may wait for a (small) sync. */
  get warm(): boolean {
    return this.lastSyncStart > 0 && performance.now() - this.lastSyncStart < 2 * this.syncMs;
  }

  /** A reader considered the replica: keep it syncing in the background. */
  noteRead(): void {
    this.readSinceTick = true;
  }

  private tick(): void {
    if (!this.readSinceTick) return;
    this.readSinceTick = false;
    this.stats.backgroundSyncs++;
    void this.sync().catch(() => {});
  }

  private ask(m: Record<string, unknown>): Promise<unknown[] | undefined> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.replies.set(id, (r) => (r.error === undefined ? resolve(r.rows) : reject(new Error(r.error))));
      this.worker.postMessage({ ...m, id });
    });
  }

  async all<T = Row>(sql: string, args: SqlValue[] = []): Promise<T[]> {
    return (await this.ask({ t: "all", sql, args })) as T[];
  }

  /** Concurrent callers share a sync that started after they asked, never one already under way
   *  (it may have fetched before their commit). */
  async sync(): Promise<void> {
    const running = this.syncing;
    if (running) await running.catch(() => {});
    if (this.syncing && this.syncing !== running) return this.syncing;
    const started = performance.now();
    const p = this.ask({ t: "sync" }).then(() => {
      this.lastSyncStart = Math.max(this.lastSyncStart, started);
    });
    this.syncing = p;
    try {
      await p;
    } finally {
      if (this.syncing === p) this.syncing = null;
    }
  }

  /** Stops the thread. A sync in progress (a large pull, a server that stopped answering) may keep
   *  the worker from answering for long: shutdown does not wait more than 2 s for it, and whatever
   *  was still waiting on the replica is rejected. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.race([this.ask({ t: "close" }).catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
    this.worker.terminate();
    for (const reply of this.replies.values()) reply({ error: "replica closed" });
    this.replies.clear();
  }
}

export class RemoteLibsqlSql implements Sql {
  private readonly commits: GroupCommit;
  /** Write transactions and statements committed (as LibsqlSql: `batches` counts statements), for metrics. */
  stats = { transactions: 0, batches: 0 };
  /** None: the full-text index is in the database itself (inlineSearch.ts). */
  readonly separateIndex: undefined = undefined;

  constructor(private readonly client: Client, commitIntervalMs = 0, readonly replica?: EmbeddedReplica) {
    this.commits = new GroupCommit((statements) => this.write(statements), commitIntervalMs, provesNothingWritten);
  }

  async all<T = Row>(sql: string, args?: SqlValue[]): Promise<T[]> {
    return toRows<T>(await this.client.execute({ sql, args: toArgs(args) }));
  }

  async first<T = Row>(sql: string, args?: SqlValue[]): Promise<T | undefined> {
    return (await this.all<T>(sql, args))[0];
  }

  /** A single write outside the group commit (accounts), in a transaction of its own. */
  async run(sql: string, args?: SqlValue[]): Promise<{ changes: number }> {
    const rs = await this.client.execute({ sql, args: toArgs(args) });
    return { changes: rs.rowsAffected };
  }

  batch(batch: BatchStatements, chain?: CommitChain): Promise<void> {
    return this.commits.submit(batch, chain);
  }

  private async write(statements: Statement[]): Promise<void> {
    this.stats.transactions++;
    this.stats.batches += statements.length;
    await this.client.batch(statements.map((s) => ({ sql: s.sql, args: toArgs(s.args) })), "write");
  }

  /** Idempotent DDL, in order, as one transaction: nodes starting together cannot interleave. */
  async migrate(statements: string[]): Promise<void> {
    if (statements.length > 0) await this.client.batch(statements, "write");
  }

  /** Waits for queued writes, then closes the client. */
  async close(): Promise<void> {
    await this.commits.whenIdle();
    await this.replica?.close();
    this.client.close();
  }
}

/** Connects to sqld at `url` (http://host:port) and checks that it answers. */
export async function openRemoteLibsql(url: string, opts: RemoteLibsqlOptions = {}): Promise<RemoteLibsqlSql> {
  const timeoutMs = opts.requestTimeoutMs ?? 30_000;
  const client = createClient({
    url,
    authToken: opts.authToken,
    intMode: "bigint",
    fetch: (req: Request) => fetch(req, { signal: AbortSignal.timeout(timeoutMs) }),
  });
  try {
    await client.execute("SELECT 1");
  } catch (e) {
    client.close();
    throw new Error(`libSQL server at ${url} did not answer: ${e instanceof Error ? e.message : String(e)}`);
  }
  let replica: EmbeddedReplica | undefined;
  if (opts.replicaPath) {
    try {
      replica = await EmbeddedReplica.open(opts.replicaPath, url, opts.authToken, opts.replicaSyncMs ?? 10_000);
    } catch (e) {
      client.close();
      throw new Error(`libSQL replica ${opts.replicaPath} could not sync from ${url}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return new RemoteLibsqlSql(client, opts.commitIntervalMs ?? 0, replica);
}
