/**
 * The group-commit queue shared by the Sql implementations that commit through one writer: the local
 * file's writer thread (libsqlSql.ts) and a shared libSQL server over HTTP (remoteLibsql.ts). One
 * place for the rules of sql.ts, so the two cannot drift apart:
 *
 * - while one transaction is being committed, batches from every actor queue up and become the next
 *   transaction; each caller is resolved only after its transaction committed;
 * - if a combined transaction fails, each batch is retried alone, so one bad batch cannot fail its
 *   neighbours (unless the failure left the outcome unknown: see `retryAlone`);
 * - CommitChain: once a batch of a chain fails, the chain is marked failed and its later batches are
 *   rejected unwritten (ChainBrokenError);
 * - BatchStatements functions are called when their batch is taken into a transaction;
 * - at most one group commit starts per `commitIntervalMs` (see LibsqlOptions in libsqlSql.ts).
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

export class GroupCommit {
  private queue: Waiting[] = [];
  /** When the last group commit started (performance.now()). */
  private lastStart = -Infinity;
  private inFlight = false;
  private idle: Array<() => void> = [];

  /**
   * `write` commits one transaction. `retryAlone(e)`: may the batches of a failed combined
   * transaction be retried one by one? Only if `e` proves that nothing of it was written; otherwise
   * (outcome unknown) every batch of the group is rejected, and so are the rest of a retry round.
   */
  constructor(
    private readonly write: (statements: Statement[]) => Promise<void>,
    private readonly commitIntervalMs: number,
    private readonly retryAlone: (e: unknown) => boolean = () => true,
  ) {}

  submit(batch: BatchStatements, chain?: CommitChain): Promise<void> {
    if (Array.isArray(batch) && batch.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ batch, statements: [], chain, resolve, reject });
      if (!this.inFlight) {
        this.inFlight = true;
        // Let every actor that runs in this tick add its batch to the same transaction.
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Resolves when no batch is queued or being committed. */
  whenIdle(): Promise<void> {
    return this.inFlight ? new Promise<void>((r) => this.idle.push(r)) : Promise.resolve();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      await this.spaceCommits();
      const group = this.take(this.queue);
      this.queue = [];
      const statements = group.length === 1 ? group[0]!.statements : group.flatMap((w) => w.statements);
      if (statements.length === 0) {
        for (const w of group) w.resolve();
        continue;
      }
      try {
        await this.write(statements);
        for (const w of group) w.resolve();
      } catch (e) {
        if (!this.retryAlone(e)) for (const w of group) this.failed(w, new OutcomeUnknownError(e));
        else if (group.length === 1) this.failed(group[0]!, e);
        else await this.oneByOne(group);
      }
    }
    this.inFlight = false;
    for (const r of this.idle.splice(0)) r();
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
        if (w.statements.length > 0) await this.write(w.statements);
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
