/**
 * The group-commit queue shared by the Sql implementations that commit through one writer: the local
 * file's writer thread (libsqlSql.ts) and a shared libSQL server over HTTP (remoteLibsql.ts). One
 * place for the rules of sql.ts, so the two cannot drift apart:
 *
 * - while a transaction is being committed, batches from every actor queue up and become the next
 *   transaction; each caller is resolved only after its transaction committed;
 * - if a combined transaction fails, each batch is retried alone, so one bad batch cannot fail its
 *   neighbours (unless the failure left the outcome unknown: see `retryAlone`);
 * - CommitChain: once a batch of a chain fails, the chain is marked failed and its later batches are
 *   rejected unwritten (ChainBrokenError);
 * - BatchStatements functions are called when their batch is taken into a transaction;
 * - at most one group commit starts per `commitIntervalMs` (see LibsqlOptions in libsqlSql.ts).
 *
 * `maxInFlight` > 1 (a far server, remoteLibsql.ts): the next transaction may be sent before the one
 * before it answered, so a busy conversation pays one round trip per commit, not two (#15). That is
 * only sound because the writer promises that **a transaction sent while an earlier one is unsettled
 * commits only if that earlier one did** (writeStream.ts: a failure blocks the stream, server side,
 * and the writer refuses what it is given after a failure until `recovered` is called). So a chain's
 * later batch, sent behind its earlier one, fails with it and is retried after it, in order. A
 * failure stops new transactions until every one in flight settled; then the failed ones are handled
 * in the order they were sent (`oneByOne`, with nothing else in flight: `write(…, alone = true)`).
 */
import { ChainBrokenError, materialize, OutcomeUnknownError, type BatchStatements, type CommitChain, type Statement } from "../../../actors/storage/sql.ts";

interface Waiting {
  batch: BatchStatements;
  /** Set when the batch is taken into a transaction. */
  statements: Statement[];
  chain: CommitChain | undefined;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface GroupCommitOptions {
  /** May the batches of a failed combined transaction be retried one by one? Only if the error proves
   *  that nothing of it was written; otherwise (outcome unknown) every batch of the group is
   *  rejected, and so are the rest of a retry round. Default: always. */
  retryAlone?: (e: unknown) => boolean;
  /** Transactions in flight at once (default 1). More needs a writer that keeps the promise above. */
  maxInFlight?: number;
  /** Called when a failure is being handled and nothing is in flight: the writer may take
   *  transactions again (writeStream.ts `unblock`). */
  recovered?: () => void;
  /** Did the transaction fail before any of it ran, through no fault of its batches (refused after an
   *  earlier failure, blocked behind one, a busy lock)? Then even a lone batch is retried alone
   *  rather than failed with that error. Default: never (a lone batch's failure is its own). */
  notStarted?: (e: unknown) => boolean;
}

export class GroupCommit {
  private queue: Waiting[] = [];
  /** When the last group commit started (performance.now()). */
  private lastStart = -Infinity;
  private draining = false;
  /** Sent and not yet handled. */
  private inFlight = 0;
  /** Sent and not yet settled: what a failure's handling waits for before it retries anything. */
  private readonly unsettled = new Set<Promise<void>>();
  /** Transactions' results, handled in the order they were sent. */
  private handled: Promise<void> = Promise.resolve();
  /** A transaction failed: no new one is formed until every one in flight was handled. */
  private recovering = false;
  private wake: (() => void) | null = null;
  private idle: Array<() => void> = [];
  private readonly retryAlone: (e: unknown) => boolean;
  private readonly maxInFlight: number;

  /** `write` commits one transaction; `alone`: nothing else is in flight (a retry after a failure). */
  constructor(
    private readonly write: (statements: Statement[], alone: boolean) => Promise<void>,
    private readonly commitIntervalMs: number,
    private readonly opts: GroupCommitOptions = {},
  ) {
    this.retryAlone = opts.retryAlone ?? (() => true);
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 1);
  }

  submit(batch: BatchStatements, chain?: CommitChain): Promise<void> {
    if (Array.isArray(batch) && batch.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ batch, statements: [], chain, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        // Let every actor that runs in this tick add its batch to the same transaction.
        setImmediate(() => void this.drain());
      } else this.poke();
    });
  }

  /** Resolves when no batch is queued or being committed. */
  whenIdle(): Promise<void> {
    return this.draining ? new Promise<void>((r) => this.idle.push(r)) : Promise.resolve();
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.queue.length > 0 && this.inFlight < this.maxInFlight && !this.recovering) {
        await this.spaceCommits();
        if (this.recovering || this.queue.length === 0) continue;
        const group = this.take(this.queue);
        this.queue = [];
        if (group.length > 0) this.send(group);
        continue;
      }
      if (this.queue.length === 0 && this.inFlight === 0) break;
      await new Promise<void>((r) => (this.wake = r));
    }
    this.draining = false;
    for (const r of this.idle.splice(0)) r();
  }

  /** Sends one transaction; its result is handled after every earlier one's. */
  private send(group: Waiting[]): void {
    const statements = group.length === 1 ? group[0]!.statements : group.flatMap((w) => w.statements);
    if (statements.length === 0) {
      for (const w of group) w.resolve();
      return;
    }
    this.inFlight++;
    const result = this.write(statements, false);
    const settled = result.then(
      () => {},
      () => {
        this.recovering = true;
      },
    );
    this.unsettled.add(settled);
    void settled.then(() => this.unsettled.delete(settled));
    this.handled = this.handled
      .then(() => this.handle(group, result))
      .finally(() => {
        this.inFlight--;
        if (this.inFlight === 0) this.recovering = false;
        this.poke();
      });
  }

  private async handle(group: Waiting[], result: Promise<void>): Promise<void> {
    let error: unknown;
    try {
      await result;
      for (const w of group) w.resolve();
      return;
    } catch (e) {
      error = e;
    }
    this.recovering = true;
    // Whatever was sent behind this one settles first (it failed with it, see the header), so that
    // the retries below are the only writes until they are done.
    while (this.unsettled.size > 0) await Promise.all(this.unsettled);
    this.opts.recovered?.();
    if (!this.retryAlone(error)) for (const w of group) this.failed(w, new OutcomeUnknownError(error));
    else if (group.length === 1 && !this.opts.notStarted?.(error)) this.failed(group[0]!, error);
    else await this.oneByOne(group);
    this.opts.recovered?.();
  }

  /** After a combined transaction failed (and wrote nothing): each batch in its own transaction. */
  private async oneByOne(group: Waiting[]): Promise<void> {
    let unknown: { e: unknown } | null = null;
    for (const w of group) {
      if (unknown) {
        this.failed(w, unknown.e);
        continue;
      }
      if (w.chain?.failed) {
        w.reject(new ChainBrokenError());
        continue;
      }
      try {
        if (w.statements.length > 0) await this.write(w.statements, true);
        w.resolve();
      } catch (err) {
        if (this.retryAlone(err)) this.failed(w, err);
        else {
          // This one may be stored; the rest of the round is rejected unwritten, as conservatively.
          unknown = { e: new OutcomeUnknownError(err) };
          this.failed(w, unknown.e);
        }
      }
    }
  }

  /** Waits until `commitIntervalMs` has passed since the last group commit started; batches queued
   *  meanwhile join this one. */
  private async spaceCommits(): Promise<void> {
    const wait = this.lastStart + this.commitIntervalMs - performance.now();
    if (wait >= 0.5) await new Promise((r) => setTimeout(r, wait));
    this.lastStart = performance.now();
  }

  /** Takes the queued batches into the next transaction: batches whose chain already failed are
   *  rejected unwritten (CommitChain); the others' statements are fixed now (BatchStatements). */
  private take(queue: Waiting[]): Waiting[] {
    const group: Waiting[] = [];
    for (const w of queue) {
      if (w.chain?.failed) {
        w.reject(new ChainBrokenError());
        continue;
      }
      try {
        w.statements = materialize(w.batch);
      } catch (e) {
        this.failed(w, e);
        continue;
      }
      group.push(w);
    }
    return group;
  }

  private failed(w: Waiting, e: unknown): void {
    if (w.chain) w.chain.failed = true;
    w.reject(e);
  }
}
