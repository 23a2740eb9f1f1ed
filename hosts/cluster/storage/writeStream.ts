/**
 * One long-lived hrana stream to sqld for this node's write transactions (remoteLibsql.ts).
 *
 * Why not `client.batch`: @libsql/client opens a new stream for every call, and sqld opens a new
 * SQLite connection for every stream (open the file, read and parse the whole schema — tables,
 * indexes, move-fence triggers, FTS — then close it). That was most of the "~1 ms of sqld CPU per
 * transaction whatever its size" (bench/README.md): in a bare bench of 22-statement transactions
 * sqld spent 1.5-2.0 ms per transaction through `client.batch` and 1.2-1.5 ms on one stream (its
 * real schema is larger, so the saving is larger in the cluster). The statements are the same.
 *
 * The transaction is sent as @libsql/client sends it (executeHranaBatch): BEGIN IMMEDIATE, each
 * statement only if the one before succeeded and the stream is still inside the transaction, COMMIT
 * only if the last one succeeded, ROLLBACK otherwise — one round trip. Errors keep the meaning
 * remoteLibsql.ts gives them: an SQL error from the server becomes a LibsqlError with SQLite's code
 * (the server rolled back: provesNothingWritten), anything else (a closed socket, a protocol error)
 * has an unknown outcome. After any failure the stream is dropped and the next write opens a fresh
 * one (and a fresh socket if that one closed), so a connection left in an odd state is never reused.
 *
 * One write at a time (the caller's WriteLane): a stream runs its requests in order anyway, and
 * this keeps one server connection per node for writes (sqld's write-lock queue, writeLane.ts).
 */
import * as hrana from "@libsql/hrana-client";
import { LibsqlError, type InValue } from "@libsql/client/ws";

export class WriteStream {
  private client: hrana.WsClient | null = null;
  private stream: hrana.WsStream | null = null;
  /** Streams opened (metrics, tests): one per node unless writes failed. */
  opened = 0;

  constructor(private readonly url: string, private readonly authToken?: string) {}

  private async open(): Promise<{ stream: hrana.WsStream; version: number }> {
    if (!this.client || this.client.closed) {
      this.client = hrana.openWs(this.url, this.authToken);
      this.stream = null;
    }
    const client = this.client;
    const version = await client.getVersion();
    if (!this.stream || this.stream.closed) {
      this.stream = client.openStream();
      this.stream.intMode = "bigint";
      this.opened++;
    }
    return { stream: this.stream, version };
  }

  /** Runs `statements` as one write transaction; resolves once it committed. */
  async transaction(statements: { sql: string; args: InValue[] }[]): Promise<void> {
    try {
      const { stream, version } = await this.open();
      const batch = stream.batch(version >= 3);
      const inside = (step: hrana.BatchStep) => (version >= 3 ? step.condition(hrana.BatchCond.not(hrana.BatchCond.isAutocommit(batch))) : step);
      const outcomes: Promise<unknown>[] = [];
      // Each step's promise is awaited below, after the whole batch: a failed one must not count as
      // an unhandled rejection meanwhile (Bun ends the process on those).
      const track = <T>(p: Promise<T>) => (p.catch(() => {}), outcomes.push(p), p);
      const begin = batch.step();
      track(begin.run("BEGIN IMMEDIATE"));
      let last = begin;
      for (const s of statements) {
        const step = inside(batch.step().condition(hrana.BatchCond.ok(last)));
        track(step.run(new hrana.Stmt(s.sql).bindIndexes(s.args as hrana.InValue[])));
        last = step;
      }
      const commit = inside(batch.step().condition(hrana.BatchCond.ok(last)));
      track(commit.run("COMMIT"));
      batch.step().condition(hrana.BatchCond.not(hrana.BatchCond.ok(commit))).run("ROLLBACK").catch(() => {});
      await batch.execute();
      // The first failed step says why (an SQL error: rolled back); a step that did not run (undefined)
      // after no failure would mean the transaction ended early: reported as rolled back, as the client does.
      for (const o of outcomes) if ((await o) === undefined) throw new LibsqlError("statement not executed: the transaction was rolled back", "TRANSACTION_CLOSED");
    } catch (e) {
      this.drop();
      throw asLibsqlError(e);
    }
  }

  /** Forget the stream (and the socket, when `socket`): a timed-out request, or after any failure. */
  drop(socket = false): void {
    try {
      this.stream?.close();
      if (socket) this.client?.close();
    } catch {
      // already closed
    }
    this.stream = null;
    if (socket) this.client = null;
  }

  close(): void {
    this.drop(true);
  }
}

/** As @libsql/client maps hrana's errors: the server's SQL errors keep SQLite's code (e.g.
 *  SQLITE_CONSTRAINT_CHECK), which is what provesNothingWritten and retryWhileBusy look at. */
function asLibsqlError(e: unknown): unknown {
  if (e instanceof LibsqlError) return e;
  if (e instanceof hrana.ResponseError && e.code !== undefined) return new LibsqlError(e.message, e.code, undefined, undefined, e);
  if (e instanceof hrana.ClientError) return new LibsqlError(e.message, "HRANA_CLIENT_ERROR", undefined, undefined, e);
  return e;
}
