/**
 * The accounts' one home, as a cluster node uses it (issue #15; docs/cluster.md, Storage:
 * "Accounts near every node"). A login or a socket ticket must not cross the WAN, so:
 *
 *  - reads on the hot paths (edge/auth/accountReads.ts) go to a local embedded replica of the home,
 *    when the home is another region's server; a node in the home's own region reads the home (no
 *    WAN in between, and no replica pulling every page its region writes there);
 *  - writes go to the home (`AccountsHome`), and each one, once committed, (1) publishes a notice
 *    on `<cluster>.accounts.changed`, on which every other node syncs its replica at once and then
 *    drops what its account service cached, and (2) syncs this node's own replica before it is
 *    answered, so whoever wrote reads their write on this node (read-your-writes);
 *  - the replica also syncs every SYNC_MS whatever happens, for notices lost on the way (NATS core
 *    delivers at most once: a node reconnecting to the bus misses them).
 *
 * So a change made anywhere is seen by every node's logins and tickets within one notice (a WAN
 * one-way trip) plus one sync (a round trip and the pull), and at worst within SYNC_MS plus a sync.
 * Reads that wait: a read arriving while a sync runs for a notice from this region waits for it (up
 * to NOTICE_WAIT_MS), since its writer's client may come here next; other reads never wait for a sync (they use
 * a connection of their own to the replica's file, not the thread that syncs: libSQL's sync blocks
 * its thread, ~85 ms here with 40 ms one way, and every read behind it would wait as long).
 *
 * If the home cannot be reached (lost region, partition), the replica keeps answering with what it
 * last pulled: logins, tickets and access tokens keep working (issue #16), and every write (sign-up,
 * password change, lock, a wrong password's count, a refresh) fails with 503 `storage_unavailable`
 * (retryable). Nothing can be written meanwhile, so the only staleness is a change that was made on
 * the far side of a partition; `nexus_accounts_replica_age_ms` shows how old the replica is.
 */
import { createClient, type Client } from "@libsql/client";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { BatchStatements, CommitChain, Row, Sql, SqlValue } from "../../actors/storage/sql.ts";
import type { AccountReads } from "../../edge/auth/accountReads.ts";
import { ACCOUNTS_SCHEMA } from "../../edge/auth/accounts.ts";
import type { AccountPlacement } from "../../edge/auth/accountServiceOptions.ts";
import type { PromMetrics } from "../bun/promMetrics.ts";
import type { EmbeddedReplica } from "./storage/embeddedReplica.ts";
import { ReplicaOpening } from "./storage/replicaOpening.ts";
import { serverUrls, toArgs, toRows } from "./storage/remoteLibsql.ts";

/** The replica pulls at least this often (issue #15: staleness bounded by ≤ 1 s without notices). */
export const SYNC_MS = 1000;
/** A read that finds a notice's sync running waits this long at most, then reads what is there. */
const NOTICE_WAIT_MS = 1000;
/** A write waits this long at most for its own node's replica to show it. */
const OWN_SYNC_WAIT_MS = 2000;
/** After that wait failed, reads ask the home first, but wait for it no longer than this. */
const HOME_READ_WAIT_MS = 1000;

/** A statement that cannot write (every account statement that writes starts otherwise). */
const READ_ONLY = /^\s*SELECT\b/i;

const within = <T>(p: Promise<T>, ms: number): Promise<T | undefined> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]).finally(() => clearTimeout(timer));
};

/** This node's replica of the home, read on the main thread through a connection of its own.
 *
 * Opened behind the node's start (docs/cluster.md "What a node's restart costs"): its first sync
 * pulls what the home committed since the file last synced (1.4 s measured; the whole database for
 * a new file), and a restarted node served nothing meanwhile. Until that sync completed every read
 * goes to the home, as `userRowOrHome` does for a row the replica misses: exact, never staler. It
 * is read from once a sync that started after the newest write and notice this node saw completed,
 * so a write answered while it opened is still read back here (read-your-writes). */
export class ReplicaAccountReads implements AccountReads {
  readonly stats = { reads: 0, syncs: 0, failedSyncs: 0, notices: 0, homeReads: 0 };
  private readonly caughtUp: Array<() => void> = [];
  /** A sync a notice asked for, while it runs: reads wait for it. */
  private pending: Promise<void> | null = null;
  private periodic: Promise<void> | null = null;
  /** An own write's sync failed: read the home until a sync succeeds (read-your-writes). */
  private behind = false;
  /** performance.now() when the newest successful sync started. */
  private syncedAt = performance.now();
  private readonly timer: ReturnType<typeof setInterval>;
  /** Set once the replica caught up after its first sync (see the class comment); reads go to the home before. */
  private replica: EmbeddedReplica | null = null;
  private reader: Client | null = null;
  /** performance.now() of the newest own write or notice while the replica was not read yet. */
  private changedAt = 0;
  private closed = false;

  private constructor(
    private readonly opening: ReplicaOpening,
    private readonly path: string,
    private readonly home: Sql,
  ) {
    this.timer = setInterval(() => {
      if (this.periodic || !this.replica) return; // a sync still under way (a slow or unreachable home): no pile-up
      // A failure is counted and logged by sync(); the next tick tries again.
      this.periodic = this.sync().catch(() => {}).finally(() => (this.periodic = null));
    }, SYNC_MS);
    this.timer.unref?.();
    const started = performance.now();
    void this.whenOpen(started);
  }

  /** Opens the replica in `path` behind the start (its first sync pulls the home's whole database). */
  static open(path: string, homeUrl: string, authToken: string | undefined, home: Sql, openDelayMs = 0): ReplicaAccountReads {
    // Its own background pull is never asked for (noteRead is not called): this class syncs it.
    return new ReplicaAccountReads(new ReplicaOpening(path, serverUrls(homeUrl).http, authToken, SYNC_MS, true, openDelayMs), path, home);
  }

  /** Each attempt of `opening` until one succeeds (it retries by itself); then catch up with what
   *  was written or noticed since the first sync started, and switch the reads over. */
  private async whenOpen(started: number): Promise<void> {
    const replica = await this.opening.first.catch(async () => {
      // The first attempt failed; ReplicaOpening tries again by itself: wait for one to succeed.
      while (!this.opening.replica && !this.closed) await new Promise((r) => setTimeout(r, 500));
      return this.opening.replica;
    });
    // Only a sync that succeeded moves `synced`: one that failed may have missed a write.
    let synced = started;
    while (this.changedAt >= synced && replica && !this.closed) {
      const at = performance.now();
      if (await replica.sync().then(() => true, () => false)) synced = at;
      else await new Promise((r) => setTimeout(r, 500));
    }
    if (!replica || this.closed) return;
    this.reader = createClient({ url: `file:${this.path}`, intMode: "bigint" });
    this.syncedAt = synced;
    this.replica = replica;
  }

  /** Logins and tickets read the replica (its first sync and the catch-up after it are done). */
  get open(): boolean {
    return this.reader !== null;
  }

  /** Milliseconds since the newest successful sync started (0 while the home is read directly). */
  get ageMs(): number {
    return this.replica ? performance.now() - this.syncedAt : 0;
  }

  onCaughtUp(listener: () => void): void {
    this.caughtUp.push(listener);
  }

  /** Pulls what the home committed before the call; then cached account state is dropped. */
  sync(): Promise<void> {
    const replica = this.replica;
    if (!replica) {
      // Reads go to the home: nothing to pull, but what the service cached may be older than a change.
      this.changedAt = performance.now();
      for (const l of this.caughtUp) l();
      return Promise.resolve();
    }
    const started = performance.now();
    return replica.sync().then(
      () => {
        this.stats.syncs++;
        this.syncedAt = Math.max(this.syncedAt, started);
        this.behind = false;
        for (const l of this.caughtUp) l();
      },
      (e) => {
        this.stats.failedSyncs++;
        if (this.stats.failedSyncs === 1 || this.stats.failedSyncs % 60 === 0)
          console.warn(`[accounts] replica sync failed (${this.stats.failedSyncs}): ${e instanceof Error ? e.message : String(e)}`);
        throw e;
      },
    );
  }

  /** Another node changed accounts: pull now. With `wait` (the writer is in this region: its
   *  client's next request may come here) reads meanwhile wait for this sync. A far region's notice
   *  does not hold reads: its writer's client is not here, and a stream of writes elsewhere (wrong
   *  passwords at 20/s) must not slow every login here by a sync each. */
  noticed(wait: boolean): void {
    this.stats.notices++;
    const p = this.sync().catch(() => {});
    if (!wait) return;
    this.pending = p;
    void p.finally(() => {
      if (this.pending === p) this.pending = null;
    });
  }

  /** This node wrote: its answer waits until the replica shows the write. */
  async wrote(): Promise<void> {
    const ok = await within(this.sync().then(() => true, () => false), OWN_SYNC_WAIT_MS);
    if (!ok) this.behind = true;
  }

  async all<T = Row>(sql: string, args?: SqlValue[]): Promise<T[]> {
    if (!this.reader) {
      // Not synced yet (the node's first seconds): the home is the only exact copy.
      this.stats.homeReads++;
      return this.home.all<T>(sql, args);
    }
    if (this.pending) await within(this.pending, NOTICE_WAIT_MS);
    if (this.behind) {
      // Bounded: a home that went away meanwhile must not hold logins; the replica is what there is.
      this.stats.homeReads++;
      const exact = await within(this.home.all<T>(sql, args).catch(() => undefined), HOME_READ_WAIT_MS);
      if (exact) return exact;
    }
    this.stats.reads++;
    return toRows<T>(await this.reader!.execute({ sql, args: toArgs(args) }));
  }

  async first<T = Row>(sql: string, args?: SqlValue[]): Promise<T | undefined> {
    return (await this.all<T>(sql, args))[0];
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.reader?.close();
    await this.opening.close();
  }
}

/** Reads of a node in the home's own region: the home itself; notices only drop cached state. */
export class HomeAccountReads implements AccountReads {
  readonly stats = { notices: 0 };
  private readonly caughtUp: Array<() => void> = [];
  constructor(private readonly home: Sql) {}
  all<T = Row>(sql: string, args?: SqlValue[]): Promise<T[]> {
    return this.home.all<T>(sql, args);
  }
  first<T = Row>(sql: string, args?: SqlValue[]): Promise<T | undefined> {
    return this.home.first<T>(sql, args);
  }
  onCaughtUp(listener: () => void): void {
    this.caughtUp.push(listener);
  }
  noticed(): void {
    this.stats.notices++;
    for (const l of this.caughtUp) l();
  }
  async wrote(): Promise<void> {}
}

/**
 * The home for writes: each committed write (or one whose outcome is unknown) is announced to every
 * node and shown by this node's replica before its caller goes on. Reads here are exact (the home).
 */
export class AccountsHome implements Sql {
  /** Requests sent to the home (reads and writes): none on a login or a ticket. */
  readonly stats = { requests: 0 };
  private sub: Subscription | undefined;

  constructor(
    private readonly home: Sql,
    readonly reads: ReplicaAccountReads | HomeAccountReads,
    private readonly nc: NatsConnection,
    private readonly subject: string,
    private readonly nodeId: string,
    private readonly region: string,
  ) {}

  /** Listens to other nodes' notices (`<node>|<region>`). */
  start(): void {
    this.sub = this.nc.subscribe(this.subject, {
      callback: (err, msg) => {
        if (err) return;
        const [node, region] = msg.string().split("|");
        if (node !== this.nodeId) this.reads.noticed(region === this.region);
      },
    });
  }

  private async written<T>(write: Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await write;
    } finally {
      // A failed write may have committed (outcome unknown): announced all the same.
      try {
        this.nc.publish(this.subject, `${this.nodeId}|${this.region}`);
      } catch {
        // Off the bus (reconnecting): other nodes see it at their next periodic sync.
      }
    }
    await this.reads.wrote();
    return result;
  }

  /** Statements with RETURNING write through all/first too (a sign-up's INSERT, a revocation's UPDATE). */
  all<T = Row>(sql: string, args?: SqlValue[]): Promise<T[]> {
    this.stats.requests++;
    return READ_ONLY.test(sql) ? this.home.all<T>(sql, args) : this.written(this.home.all<T>(sql, args));
  }
  async first<T = Row>(sql: string, args?: SqlValue[]): Promise<T | undefined> {
    return (await this.all<T>(sql, args))[0];
  }
  run(sql: string, args?: SqlValue[]): Promise<{ changes: number }> {
    this.stats.requests++;
    return this.written(this.home.run(sql, args));
  }
  batch(statements: BatchStatements, chain?: CommitChain): Promise<void> {
    this.stats.requests++;
    return this.written(this.home.batch(statements, chain));
  }
  /** Each schema once per process: clusterAccounts migrates ACCOUNTS_SCHEMA before the replica
   *  opens, and the account service's init would send the same statements across the WAN again. */
  migrate(statements: string[]): Promise<void> {
    let done = this.migrated.get(statements);
    if (!done) {
      done = this.home.migrate(statements);
      this.migrated.set(statements, done);
      done.catch(() => this.migrated.delete(statements));
    }
    return done;
  }
  private readonly migrated = new Map<string[], Promise<void>>();
  migratedAlready(statements: string[]): void {
    this.migrated.set(statements, Promise.resolve());
  }

  stop(): void {
    try {
      this.sub?.unsubscribe();
    } catch {
      // The connection already closed (drained at shutdown): nothing to unsubscribe from.
    }
  }
}

/** What clusterNode.ts gives the account service (NodeParts.accountsSql and .accounts). */
export interface ClusterAccounts {
  sql: AccountsHome;
  options: AccountPlacement;
  gauges(metrics: PromMetrics): void;
  close(): Promise<void>;
}

export interface ClusterAccountsOptions {
  /** The home's server, and whether it is this region's own primary (then read directly). */
  home: Sql;
  homeUrl: string;
  homeIsRegional: boolean;
  authToken: string | undefined;
  /** The node's replica file (LIBSQL_REPLICA_PATH); the accounts' goes beside it. Unset: no replica. */
  replicaPath: string | undefined;
  nc: NatsConnection;
  subject: string;
  nodeId: string;
  /** Tickets are spent in the region's own primary, named by the region (AccountServiceOptions.tickets). */
  region: string;
  regionSql: Sql;
  /** Tests only: the replica's first sync starts this much later (NEXUS_REPLICA_OPEN_DELAY_MS). */
  replicaOpenDelayMs?: number;
  /** The caller migrated ACCOUNTS_SCHEMA into the home already (clusterNode.ts, during its start). */
  schemaMigrated?: boolean;
}

export async function clusterAccounts(o: ClusterAccountsOptions): Promise<ClusterAccounts> {
  // The schema first: a replica opened on an older schema does not see tables made after it.
  if (!o.schemaMigrated) await o.home.migrate(ACCOUNTS_SCHEMA);
  const reads = o.replicaPath && !o.homeIsRegional
    ? ReplicaAccountReads.open(`${o.replicaPath}.accounts`, o.homeUrl, o.authToken, o.home, o.replicaOpenDelayMs)
    : new HomeAccountReads(o.home);
  const sql = new AccountsHome(o.home, reads, o.nc, o.subject, o.nodeId, o.region);
  sql.migratedAlready(ACCOUNTS_SCHEMA);
  sql.start();
  return {
    sql,
    // Spent in the region: a socket opened in another region than its ticket's is refused there (the
    // client asks that region for a new one), so a ticket still opens one socket only.
    options: { reads, tickets: { sql: o.regionSql, ledger: o.region }, firstRefreshSigned: true },
    gauges(metrics) {
      metrics.gauge("nexus_accounts_home_requests", "Requests this node sent to the accounts' home (writes and exact reads; none for a login or ticket)", [], () => sql.stats.requests);
      metrics.gauge("nexus_accounts_notices", "Notices of account changes made on other nodes", [], () => reads.stats.notices);
      if (reads instanceof ReplicaAccountReads) {
        const r = reads.stats;
        metrics.gauge("nexus_accounts_replica_reads", "Account reads served by this node's replica of the accounts' home", [], () => r.reads);
        metrics.gauge("nexus_accounts_replica_syncs", "Syncs of this node's accounts replica (periodic, on notices, after own writes)", [], () => r.syncs);
        metrics.gauge("nexus_accounts_replica_failed_syncs", "Syncs of the accounts replica that failed (home unreachable)", [], () => r.failedSyncs);
        metrics.gauge("nexus_accounts_home_reads", "Hot-path account reads sent to the home (an own write's sync had failed)", [], () => r.homeReads);
        metrics.gauge("nexus_accounts_replica_open", "1 once logins and tickets read this node's accounts replica (before its first sync: the home)", [], () => (reads.open ? 1 : 0));
        metrics.gauge("nexus_accounts_replica_age_ms", "Since the accounts replica's newest successful sync started, ms", [], () => Math.round(reads.ageMs));
      }
    },
    async close() {
      sql.stop();
      if (reads instanceof ReplicaAccountReads) await reads.close();
    },
  };
}
