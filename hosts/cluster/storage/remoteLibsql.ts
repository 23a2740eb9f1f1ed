/**
 * `Sql` over a shared libSQL server (sqld) for cluster mode: every Bun node stores history in the
 * same database, reached with @libsql/client over one WebSocket (the hrana protocol; `http://` in
 * LIBSQL_URL means `ws://` on the same port). Over HTTP, sqld set up a connection for every request:
 * in the cluster bench at 20k deliveries/s the WebSocket took sqld from ~53% to ~41% of a core, the
 * actor node from ~48% to ~38%, and p99 from 85-95 to 63-68 ms.
 *
 * Same semantics as the single-node LibsqlSql (libsqlSql.ts), through the same queue (groupCommit.ts):
 * batches queued while a transaction is in flight become the next transaction, sent on one
 * long-lived stream (writeStream.ts: BEGIN IMMEDIATE … COMMIT on the server, one round trip; a
 * stream per transaction made sqld open a connection and parse the schema each time), up to
 * `commitsInFlight` of them at once (a failed one blocks those behind it, so order holds); a caller
 * is resolved only after its transaction committed; CommitChain and BatchStatements
 * as in sql.ts. Over the network the round trip is the fixed cost per transaction, so grouping
 * matters even more than locally.
 *
 * Failures whose outcome is unknown. If the server answered with an SQL error (a constraint, a bad
 * statement, a busy database), the transaction was rolled back and nothing of it was written: the
 * batches of a failed group are retried one by one as LibsqlSql does. Any other failure (connection
 * refused or reset, a timeout, a server error, a garbled answer) may have come after the server
 * committed. Retrying then could apply a batch twice (a counter bumped twice, or a conversation's
 * events reported as failed by their own duplicate-key error although they are stored), so every
 * batch of that transaction is rejected instead, with its chain marked failed, and none is retried
 * here: they are rejected with OutcomeUnknownError, and a conversation actor that sees one reloads
 * from storage before writing on (commitPipeline.ts, storage.mayHaveDiverged). Clients resend by
 * clientId; a resend of a batch that was stored after all is answered as a duplicate.
 *
 * Reads and single statements (`all`, `first`, `run`) are one request each and see every
 * committed transaction; reads go on a few long-lived streams (readStreams.ts). Writes of every
 * kind (group commits, single statements that write, DDL) take turns in one lane per node: group
 * commits may overlap on the write stream, anything else goes alone (writeLane.ts: many concurrent
 * writers stall sqld). A
 * request unanswered after `requestTimeoutMs` fails (outcome unknown) and
 * the connection is replaced, so a hung server cannot hold every later commit; the client also
 * reconnects by itself after the connection drops (a restarted server).
 *
 * There is no `separateIndex`: the full-text index lives in the database
 * itself (inlineSearch.ts, as on Durable Objects), since there is no local file to put it in.
 */
import { createClient, LibsqlError, type Client, type InValue, type ResultSet } from "@libsql/client/ws";
import { NexusError } from "../../../protocol/errors.ts";
import { GroupCommit } from "../../bun/storage/groupCommit.ts";
import type { EmbeddedReplica } from "./embeddedReplica.ts";
import { ReplicaOpening } from "./replicaOpening.ts";
import { isReadOnly, WriteLane } from "./writeLane.ts";
import { mergeFenceChecks } from "./mergeFenceChecks.ts";
import { mergeInserts } from "./mergeInserts.ts";
import { didNotStart, WriteStream } from "./writeStream.ts";
import { ReadStreams } from "./readStreams.ts";
import type { BatchStatements, CommitChain, Row, Sql, SqlValue, Statement } from "../../../actors/storage/sql.ts";

export interface RemoteLibsqlOptions {
  /** sqld's `--auth-jwt-key-file` JWT, if the server wants one. */
  authToken?: string;
  /** At most one group commit starts per this many ms (see LibsqlOptions in libsqlSql.ts). */
  commitIntervalMs?: number;
  /** A request that has not been answered by then is abandoned (and its outcome is unknown):
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
  /** Group commits in flight at once on the write stream (writeStream.ts, groupCommit.ts): a
   *  conversation's next commit need not wait for the one before to come back across a slow link.
   *  Default 16: with the cluster's 10 ms commit spacing that covers a 160 ms round trip (a link of
   *  40 ms one way kept 8-13 in flight in bench/pipelinedCommits.ts). */
  commitsInFlight?: number;
  /** Open the replica behind the start (replicaOpening.ts): resolve once the server answers, and
   *  read the server until the replica's first sync completed. Default: wait for that sync. */
  replicaBehindStart?: boolean;
  /** Tests only: the replica's first sync starts this much later (NEXUS_REPLICA_OPEN_DELAY_MS). */
  replicaOpenDelayMs?: number;
}

/** Errors that prove the server rolled the transaction back: SQLite's own codes, and a statement
 *  skipped because an earlier one of the batch failed. Everything else leaves the outcome unknown. */
export function provesNothingWritten(e: unknown): boolean {
  return e instanceof LibsqlError && (e.code.startsWith("SQLITE_") || e.code === "TRANSACTION_CLOSED");
}

/** sqld waits up to ~5 s for the write lock, then answers SQLITE_BUSY. SQLite's busy waiting is not
 *  first come, first served: under steady writes from other nodes one request can lose every round
 *  (seen once in the cluster bench: a sign-up failed with 500 while two nodes were committing). The
 *  statement did not run, so it is tried again, a few times, after a short random pause. */
const BUSY_ATTEMPTS = 4;
export async function retryWhileBusy<T>(request: () => Promise<T>, attempts = BUSY_ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (e) {
      const busy = e instanceof LibsqlError && (e.code === "SQLITE_BUSY" || e.code === "SQLITE_LOCKED");
      if (!busy || attempt >= attempts) throw e;
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 80 * attempt));
    }
  }
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
export function toRows<T>(rs: Pick<ResultSet, "columns" | "rows">): T[] {
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

export class RemoteLibsqlSql implements Sql {
  private readonly commits: GroupCommit;
  /** Every write of this node in order: group commits may overlap, anything else goes alone (writeLane.ts). */
  readonly writes: WriteLane;
  /** Write transactions and statements committed (as LibsqlSql: `batches` counts statements), for metrics. */
  stats = { transactions: 0, batches: 0 };
  /** None: the full-text index is in the database itself (inlineSearch.ts). */
  readonly separateIndex: undefined = undefined;

  constructor(
    private readonly client: Client,
    private readonly timeoutMs: number,
    commitIntervalMs: number,
    /** The embedded replica, from its first completed sync on (replicaOpening.ts). */
    readonly replicaOpening: ReplicaOpening | undefined,
    /** Group commits go on this one stream (writeStream.ts). */
    private readonly stream: WriteStream,
    /** Reads go on these (readStreams.ts). */
    readonly reads: ReadStreams,
    commitsInFlight = 1,
  ) {
    this.writes = new WriteLane(commitsInFlight);
    this.commits = new GroupCommit((statements, alone) => this.write(statements, alone), commitIntervalMs, {
      retryAlone: provesNothingWritten,
      maxInFlight: commitsInFlight,
      recovered: () => stream.unblock(),
      notStarted: didNotStart,
    });
  }

  /** Undefined until the replica's first sync completed: every read goes to the server meanwhile. */
  get replica(): EmbeddedReplica | undefined {
    return this.replicaOpening?.replica;
  }

  /** One request, given up after `timeoutMs`: the connection is then replaced (whatever else was in
   *  flight on it fails too, its outcome unknown) rather than trusted to answer late. A write waits
   *  for its turn in the write lane first (writeLane.ts), within the same time limit. */
  private async timed<T>(send: () => Promise<T>, write: boolean, pipelined = false): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let gaveUp = false;
    let sent = false;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        gaveUp = true;
        // Only a request the server was sent says anything about the connection.
        if (sent) {
          void Promise.resolve(this.client.reconnect()).catch(() => {});
          if (write) this.stream.drop(true);
          else this.reads.reset();
        }
        reject(new Error(`libSQL server did not answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
    });
    const sending = () => {
      sent = true;
      return send();
    };
    const request = write ? this.writes.run(sending, () => gaveUp, pipelined) : sending();
    request.catch(() => {}); // lost the race to the timeout: its own failure is not news
    try {
      return await Promise.race([request, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A single request outside the group commit. An SQL error (a constraint: a username taken) is the
   *  caller's; a server that stays busy or cannot be reached is `storage_unavailable` (503 with
   *  Retry-After over REST), not an internal error. */
  private async request<T>(send: () => Promise<T>, write: boolean): Promise<T> {
    try {
      return await retryWhileBusy(() => this.timed(send, write));
    } catch (e) {
      const sqlError = e instanceof LibsqlError && e.code.startsWith("SQLITE_") && e.code !== "SQLITE_BUSY" && e.code !== "SQLITE_LOCKED";
      if (sqlError) throw e;
      console.error(`[libsql] request failed: ${e instanceof Error ? e.message : String(e)}`);
      throw new NexusError("storage_unavailable", "storage is busy or unreachable; retry shortly", { retryAfter: 1 });
    }
  }

  async all<T = Row>(sql: string, args?: SqlValue[]): Promise<T[]> {
    // Reads on the pool's long-lived streams (readStreams.ts: a stream per read costs sqld a
    // connection); anything that writes (INSERT … RETURNING) through the client, in the write lane.
    if (isReadOnly(sql)) return toRows<T>(await this.request(() => this.reads.query(sql, toArgs(args)), false));
    return toRows<T>(await this.request(() => this.client.execute({ sql, args: toArgs(args) }), true));
  }

  async first<T = Row>(sql: string, args?: SqlValue[]): Promise<T | undefined> {
    return (await this.all<T>(sql, args))[0];
  }

  /** A single write outside the group commit (accounts), in a transaction of its own. */
  async run(sql: string, args?: SqlValue[]): Promise<{ changes: number }> {
    const rs = await this.request(() => this.client.execute({ sql, args: toArgs(args) }), true);
    return { changes: rs.rowsAffected };
  }

  batch(batch: BatchStatements, chain?: CommitChain): Promise<void> {
    return this.commits.submit(batch, chain);
  }

  /** `alone`: a retry after a failure, with nothing else in flight (groupCommit.ts). */
  private async write(statements: Statement[], alone: boolean): Promise<void> {
    this.stats.transactions++;
    this.stats.batches += statements.length;
    // One statement per table for the batches' plain inserts and for their fence checks
    // (mergeInserts.ts, mergeFenceChecks.ts: sqld's cost is per statement too).
    const stmts = mergeInserts(mergeFenceChecks(statements)).map((s) => ({ sql: s.sql, args: toArgs(s.args) }));
    await retryWhileBusy(() => this.timed(() => this.stream.transaction(stmts, alone), true, true));
  }

  /** Idempotent DDL, in order, as one transaction: nodes starting together cannot interleave. */
  async migrate(statements: string[]): Promise<void> {
    if (statements.length > 0) await retryWhileBusy(() => this.timed(() => this.client.batch(statements, "write"), true));
  }

  /** Waits for queued writes, then closes the client. */
  async close(): Promise<void> {
    await this.commits.whenIdle();
    await this.replicaOpening?.close();
    this.stream.close();
    this.reads.close();
    this.client.close();
  }
}

/** The same server's address for each protocol: hrana over WebSocket for queries and commits, HTTP
 *  for the embedded replica's sync. `libsql://` means TLS to both clients. */
export function serverUrls(url: string): { ws: string; http: string } {
  return {
    ws: url.replace(/^http(s?):/, "ws$1:"),
    http: url.replace(/^ws(s?):/, "http$1:"),
  };
}

/** Connects to sqld at `url` (http://host:port, ws://host:port or libsql://host) and checks that it answers. */
export async function openRemoteLibsql(url: string, opts: RemoteLibsqlOptions = {}): Promise<RemoteLibsqlSql> {
  const timeoutMs = opts.requestTimeoutMs ?? 30_000;
  const urls = serverUrls(url);
  const client = createClient({ url: urls.ws, authToken: opts.authToken, intMode: "bigint" });
  try {
    await Promise.race([
      client.execute("SELECT 1"),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)),
    ]);
  } catch (e) {
    client.close();
    throw new Error(`libSQL server at ${url} did not answer: ${e instanceof Error ? e.message : String(e)}`);
  }
  const behind = opts.replicaBehindStart ?? false;
  // The region's own primary is near: its replica pulls only while reads pay for it, counted in
  // this node's own commits (embeddedReplica.ts).
  let sql: RemoteLibsqlSql | undefined;
  const replica = opts.replicaPath ? new ReplicaOpening(opts.replicaPath, urls.http, opts.authToken, opts.replicaSyncMs ?? 10_000, behind,
    opts.replicaOpenDelayMs, () => sql?.stats.transactions ?? 0) : undefined;
  if (replica && !behind) {
    try {
      await replica.first;
    } catch (e) {
      client.close();
      throw new Error(`libSQL replica ${opts.replicaPath} could not sync from ${url}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  sql = new RemoteLibsqlSql(client, timeoutMs, opts.commitIntervalMs ?? 0, replica, new WriteStream(urls.ws, opts.authToken),
    new ReadStreams(urls.ws, opts.authToken), opts.commitsInFlight ?? 16);
  return sql;
}
