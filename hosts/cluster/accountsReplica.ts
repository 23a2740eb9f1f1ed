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
import { openReplicaFile, type EmbeddedReplica } from "./storage/embeddedReplica.ts";
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

/** This node's replica of the home, read on the main thread through a connection of its own. */
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

  private constructor(
    private readonly replica: EmbeddedReplica,
    private readonly reader: Client,
    private readonly home: Sql,
  ) {
    this.timer = setInterval(() => {
      if (this.periodic) return; // a sync still under way (a slow or unreachable home): no pile-up
      // A failure is counted and logged by sync(); the next tick tries again.
      this.periodic = this.sync().catch(() => {}).finally(() => (this.periodic = null));
    }, SYNC_MS);
    this.timer.unref?.();
  }

  /** Opens the replica in `path` (its first sync pulls the home's whole database). */
  static async open(path: string, homeUrl: string, authToken: string | undefined, home: Sql): Promise<ReplicaAccountReads> {
    // Its own background pull is never asked for (noteRead is not called): this class syncs it.
    const replica = await openReplicaFile(path, serverUrls(homeUrl).http, authToken, SYNC_MS);
    const reader = createClient({ url: `file:${path}`, intMode: "bigint" });
    return new ReplicaAccountReads(replica, reader, home);
  }

  /** Milliseconds since the newest successful sync started. */
  get ageMs(): number {
    return performance.now() - this.syncedAt;
  }

  onCaughtUp(listener: () => void): void {
    this.caughtUp.push(listener);
  }

  /** Pulls what the home committed before the call; then cached account state is dropped. */
  sync(): Promise<void> {
    const started = performance.now();
    return this.replica.sync().then(
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
    if (this.pending) await within(this.pending, NOTICE_WAIT_MS);
    if (this.behind) {
      // Bounded: a home that went away meanwhile must not hold logins; the replica is what there is.
      this.stats.homeReads++;
      const exact = await within(this.home.all<T>(sql, args).catch(() => undefined), HOME_READ_WAIT_MS);
      if (exact) return exact;
    }
    this.stats.reads++;
    return toRows<T>(await this.reader.execute({ sql, args: toArgs(args) }));
  }

  async first<T = Row>(sql: string, args?: SqlValue[]): Promise<T | undefined> {
    return (await this.all<T>(sql, args))[0];
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.reader.close();
    await this.replica.close();
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
  migrate(statements: string[]): Promise<void> {
    return this.home.migrate(statements);
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
}

export async function clusterAccounts(o: ClusterAccountsOptions): Promise<ClusterAccounts> {
  // The schema first: a replica opened on an older schema does not see tables made after it.
  await o.home.migrate(ACCOUNTS_SCHEMA);
  const reads = o.replicaPath && !o.homeIsRegional
    ? await ReplicaAccountReads.open(`${o.replicaPath}.accounts`, o.homeUrl, o.authToken, o.home)
    : new HomeAccountReads(o.home);
  const sql = new AccountsHome(o.home, reads, o.nc, o.subject, o.nodeId, o.region);
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
        metrics.gauge("nexus_accounts_replica_age_ms", "Since the accounts replica's newest successful sync started, ms", [], () => Math.round(reads.ageMs));
      }
    },
    async close() {
      sql.stop();
      if (reads instanceof ReplicaAccountReads) await reads.close();
    },
  };
}
