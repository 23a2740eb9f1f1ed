/** In-process harness for actor tests: a real libSQL file, the Bun host, and frame-recording sockets. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LimitsSchema, type Limits } from "../../protocol/index.ts";
import type { Connection } from "../../actors/ports.ts";
import { BunActorSystem } from "../../hosts/bun/BunActorSystem.ts";
import { LibsqlSql, openLibsql } from "../../hosts/bun/storage/libsqlSql.ts";
import { NexusError } from "../../protocol/errors.ts";
import { ChainBrokenError, materialize, OutcomeUnknownError, type BatchStatements, type CommitChain, type Sql, type Statement } from "../../actors/storage/sql.ts";

/** A Sql whose writes can be made to fail or to wait: fault injection around the real database. */
export class FaultySql implements Sql {
  failWrites = false;
  /** Fail only the write batches this predicate picks (e.g. inbox rows but not conversation events). */
  failWritesWhen: ((statements: Statement[]) => boolean) | null = null;
  failReads = false;
  /** Commit these batches, then report an unknown outcome (the answer lost after the commit). */
  commitThenFailWhen: ((statements: Statement[]) => boolean) | null = null;
  /** The server cannot be reached: reads fail with storage_unavailable, commits with an unknown
   *  outcome (as RemoteLibsqlSql reports a dropped connection), and nothing is written. */
  unreachable = false;
  hold: Promise<void> | null = null;
  /** Reads run at once, but the results of those this returns a promise for are handed back only
   *  when it resolves: a read that saw the database before a later commit, answered after it. */
  delayReadResult: ((sql: string) => Promise<void> | null) | null = null;
  /** `inlineSearch`: hide the inner Sql's separate search file, so the index lives in the database
   *  itself as on Durable Objects (inlineSearch.ts). */
  constructor(readonly inner: LibsqlSql, private readonly inlineSearch = false) {}
  get separateIndex() {
    return this.inlineSearch ? undefined : this.inner.separateIndex;
  }
  all: Sql["all"] = async (sql, args) => {
    if (this.failReads) throw new Error("injected read failure");
    if (this.unreachable) throw new NexusError("storage_unavailable", "injected: server unreachable");
    const rows = await this.inner.all(sql, args);
    const wait = this.delayReadResult?.(sql);
    if (wait) await wait;
    return rows as any;
  };
  first: Sql["first"] = async (sql, args) => (await this.all(sql, args))[0] as any;
  run: Sql["run"] = (sql, args) => this.inner.run(sql, args);
  migrate: Sql["migrate"] = (s) => this.inner.migrate(s);
  /** Write batches submitted so far (pipelining tests count them). */
  batches = 0;
  async batch(batch: BatchStatements, chain?: CommitChain): Promise<void> {
    // Taken at once (a held batch is one being committed); every held batch waits on the same
    // promise, so they reach the database in submission order.
    if (chain?.failed) throw new ChainBrokenError();
    const statements = materialize(batch);
    this.batches++;
    if (this.hold) await this.hold;
    if (chain?.failed) throw new ChainBrokenError();
    if (this.unreachable) {
      if (chain) chain.failed = true;
      throw new OutcomeUnknownError(new Error("injected: server unreachable"));
    }
    if (this.failWrites || this.failWritesWhen?.(statements)) {
      if (chain) chain.failed = true; // as a real Sql does for a batch that failed (sql.ts CommitChain)
      throw new Error("injected storage failure");
    }
    // The chain is kept here, in submission order: handing it to the inner Sql as well could mark an
    // earlier batch, still queued there, as broken by a later injected failure (no real Sql can).
    try {
      await this.inner.batch(statements);
    } catch (e) {
      if (chain) chain.failed = true;
      throw e;
    }
    if (this.commitThenFailWhen?.(statements)) {
      if (chain) chain.failed = true;
      throw new OutcomeUnknownError(new Error("injected: connection reset after the commit"));
    }
  }
}

export class TestConn implements Connection {
  static n = 0;
  readonly id = String(++TestConn.n);
  frames: any[] = [];
  closed: { code: number; reason: string } | null = null;
  bufferedBytes = 0;
  constructor(readonly userId: string) {}
  send(frame: string): void {
    if (this.closed) return;
    const f = JSON.parse(frame);
    // An `events` frame is that many `event` frames: recorded one by one.
    if (f.t === "events") for (const e of f.es) this.frames.push({ t: "event", e, batched: true });
    else this.frames.push(f);
  }
  close(code: number, reason: string): void {
    this.closed ??= { code, reason };
  }
  buffered(): number {
    return this.bufferedBytes;
  }
  of(t: string): any[] {
    return this.frames.filter((f) => f.t === t);
  }
}

export async function makeSystem(limits: Partial<Limits> = {}, opts: { inlineSearch?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "nexus-actor-"));
  const inner = await openLibsql(join(dir, "t.db"));
  const sql = new FaultySql(inner, opts.inlineSearch);
  await BunActorSystem.migrate(sql);
  const system = new BunActorSystem(sql, LimitsSchema.parse(limits));
  return {
    sql,
    system,
    async close() {
      await system.close();
      await inner.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const member = (userId: string, role: "admin" | "member" = "member") => ({ userId, username: userId, role });
export const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));
