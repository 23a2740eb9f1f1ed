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
 * Transactions may overlap (the caller's WriteLane lets up to `commitsInFlight` group commits go at
 * once): the stream runs them in the order they were sent, so across a slow link each costs one round
 * trip instead of waiting for the one before (#15). What keeps that safe is that **a transaction
 * runs only if the one sent before it on the same stream committed**: a committed transaction ends
 * by opening a savepoint named for it (SAVEPOINT nexus_wN: a plain deferred transaction, no lock, no
 * snapshot), and the next one starts by releasing that savepoint, every other step only if that
 * succeeded. A transaction that failed, or that the server refused whole without running any of it
 * (an SQL text sqld cannot parse, a transaction timeout: a response error, not a step's), leaves no
 * such savepoint, so the one behind it fails at its RELEASE ("no such savepoint"), nothing of it run:
 * an SQL error, so its batches are retried (GroupCommit) after the failed one's, and a conversation's
 * later batch can never commit after its earlier one failed. (99475a3 ended a failed transaction with
 * BEGIN instead, to leave the connection inside a transaction; that blocks nothing when the failed
 * one never ran, and held the write lock until the stream closed.) The stream is then dropped once
 * nothing is in flight on it; the first transaction on a new stream has nothing to release, which is
 * why `blocked` refuses everything until the group commit handles the failure.
 *
 * Still one server connection per node for writes (sqld's write-lock queue, writeLane.ts): a new
 * stream is opened only after the dropped one has no request in flight.
 */
import * as hrana from "@libsql/hrana-client";
import { LibsqlError, type InValue } from "@libsql/client/ws";
import { asLibsqlError } from "./hranaErrors.ts";

export class WriteStream {
  private client: hrana.WsClient | null = null;
  private stream: hrana.WsStream | null = null;
  /** Transactions sent on `stream` and not yet answered. */
  private inFlight = 0;
  /** Set while a dropped stream still has requests in flight: a new one opens after them. */
  private retiring: Promise<void> | null = null;
  private retired: (() => void) | null = null;
  /** A transaction failed and the group commit has not said it is handling that yet (`unblock`):
   *  whatever it sends meanwhile may hold a later batch of a failed one's chain, so it is refused. */
  private blocked = false;
  /** The savepoint the last transaction sent on `stream` leaves open if it commits (see the header);
   *  null on a fresh stream. */
  private lastToken: string | null = null;
  private tokens = 0;
  /** Streams opened (metrics, tests): one per node unless writes failed. */
  opened = 0;

  constructor(private readonly url: string, private readonly authToken?: string) {}

  private async open(): Promise<{ stream: hrana.WsStream; version: number }> {
    while (this.retiring) await this.retiring;
    if (!this.client || this.client.closed) {
      this.client = hrana.openWs(this.url, this.authToken);
      this.stream = null;
    }
    const client = this.client;
    const version = await client.getVersion();
    if (!this.stream || this.stream.closed) {
      this.stream = client.openStream();
      this.stream.intMode = "bigint";
      this.inFlight = 0;
      this.lastToken = null;
      this.opened++;
    }
    return { stream: this.stream, version };
  }

  /** Runs `statements` as one write transaction; resolves once it committed. `alone`: nothing else
   *  is in flight (a retry while a failure is handled), so it may go even though one failed. */
  async transaction(statements: { sql: string; args: InValue[] }[], alone = false): Promise<void> {
    let sentOn: hrana.WsStream | null = null;
    if (alone) this.blocked = false;
    if (this.blocked) throw refused();
    try {
      const { stream, version } = await this.open();
      // Checked again right before sending: a failure may have come while this one waited for the stream.
      if (this.blocked) return Promise.reject(refused());
      const v3 = version >= 3;
      const batch = stream.batch(v3);
      const inside = (step: hrana.BatchStep) => (v3 ? step.condition(hrana.BatchCond.not(hrana.BatchCond.isAutocommit(batch))) : step);
      const outcomes: Promise<unknown>[] = [];
      // Each step's promise is awaited below, after the whole batch: a failed one must not count as
      // an unhandled rejection meanwhile (Bun ends the process on those).
      const track = <T>(p: Promise<T>) => (p.catch(() => {}), outcomes.push(p), p);
      // Runs only if the transaction sent before it on this stream committed: that one left savepoint
      // `previous` open, and nothing else does (see the header).
      const previous = this.lastToken;
      const token = `nexus_w${++this.tokens}`;
      const gate = previous === null ? null : batch.step();
      const gated = gate ? track(gate.run(`RELEASE ${previous}`)) : null;
      const begin = gate ? batch.step().condition(hrana.BatchCond.ok(gate)) : batch.step();
      const began = track(begin.run("BEGIN IMMEDIATE"));
      let last = begin;
      for (const s of statements) {
        const step = inside(batch.step().condition(hrana.BatchCond.ok(last)));
        track(step.run(new hrana.Stmt(s.sql).bindIndexes(s.args as hrana.InValue[])));
        last = step;
      }
      const commit = inside(batch.step().condition(hrana.BatchCond.ok(last)));
      track(commit.run("COMMIT"));
      // Committed: the savepoint the next transaction on this stream releases first (a plain deferred
      // transaction: no lock, no snapshot). Failed, or not run at all: no savepoint, so every
      // transaction sent behind this one fails at its RELEASE, nothing of it run.
      batch.step().condition(hrana.BatchCond.ok(commit)).run(`SAVEPOINT ${token}`).catch(() => {});
      batch.step().condition(hrana.BatchCond.not(hrana.BatchCond.ok(commit))).run("ROLLBACK").catch(() => {});
      this.lastToken = token;
      sentOn = stream;
      this.inFlight++;
      try {
        await batch.execute();
      } finally {
        this.answered(stream);
      }
      // The first failed step says why (an SQL error: rolled back); a step that did not run (undefined)
      // after no failure would mean the transaction ended early: reported as rolled back, as the client does.
      // The RELEASE failing (the transaction before it did not commit) or BEGIN IMMEDIATE failing (the
      // lock stayed busy) means none of it ran: its batches are not at fault.
      await gated?.catch((e) => Promise.reject(notStarted(e)));
      await began.catch((e) => Promise.reject(notStarted(e)));
      for (const o of outcomes) if ((await o) === undefined) throw new LibsqlError("statement not executed: the transaction was rolled back", "TRANSACTION_CLOSED");
    } catch (e) {
      this.blocked = true;
      if (sentOn === null || sentOn === this.stream) this.drop();
      throw asLibsqlError(e);
    }
  }

  /** The group commit is handling the failure, with nothing in flight: transactions may go again. */
  unblock(): void {
    this.blocked = false;
  }

  private answered(stream: hrana.WsStream): void {
    if (stream !== this.stream) return;
    this.inFlight--;
    if (this.inFlight === 0 && this.retired) this.finishRetiring();
  }

  private finishRetiring(): void {
    try {
      this.stream?.close();
    } catch {
      // already closed
    }
    this.stream = null;
    const done = this.retired;
    this.retiring = null;
    this.retired = null;
    done?.();
  }

  /** Forget the stream (and the socket, when `socket`): after a failure, or a timed-out request.
   *  Without `socket`, requests still in flight on it are answered first (they fail at their RELEASE
   *  when a failure blocked them) and the next transaction opens a new stream after them. */
  drop(socket = false): void {
    if (socket) {
      // Everything in flight on the socket fails with it (outcome unknown): nothing to wait for.
      this.finishRetiring();
      try {
        this.client?.close();
      } catch {
        // already closed
      }
      this.client = null;
      this.inFlight = 0;
      return;
    }
    if (!this.stream || this.retiring) return;
    if (this.inFlight === 0) {
      this.finishRetiring();
      return;
    }
    this.retiring = new Promise<void>((r) => (this.retired = r));
  }

  close(): void {
    this.drop(true);
  }
}

/** A transaction none of whose statements ran, through no fault of its own: refused here after an
 *  earlier failure, or its BEGIN IMMEDIATE failed. The group commit retries even a lone batch of it
 *  (groupCommit.ts `notStarted`) instead of failing the batch with an error that is not its own. */
export class NotStartedError extends LibsqlError {}

export const didNotStart = (e: unknown): boolean => e instanceof NotStartedError;

function notStarted(e: unknown): unknown {
  if (e instanceof hrana.ResponseError && e.code !== undefined) return new NotStartedError(e.message, e.code, undefined, undefined, e);
  return e;
}

/** Nothing was sent: an SQL-level error (provesNothingWritten), so the group commit retries it. */
const refused = () => new NotStartedError("not sent: an earlier transaction failed; this one is sent again after it", "TRANSACTION_CLOSED");
