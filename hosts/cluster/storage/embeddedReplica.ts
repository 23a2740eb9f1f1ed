/**
 * A node's embedded replica of the libSQL server (ReplicaReads in sql.ts), for cluster mode: history
 * pages and resume replays read a local file instead of crossing the network. Used by
 * remoteLibsql.ts; the store decides when it may answer (sqlConversationStore.ts, readerUpTo).
 */
import { rmSync } from "node:fs";
import type { ReplicaReads, Row, SqlValue } from "../../../actors/storage/sql.ts";

/** What one read served here saves, in pages pulled (see EmbeddedReplica: ~0.22-0.32 ms of CPU a
 *  read on the server against ~0.21-0.29 ms a page pulled, both measured on the bench box). */
export const READ_WORTH_PAGES = 1;
/** A pull this small always pays (~15 ms of CPU): a quiet region's replica stays fresh. */
export const FREE_PAGES = 64;

/** Reads served, syncs a reader asked for, reads that went to the server, background syncs. */
export type ReplicaStats = ReplicaReads["stats"];

/** The embedded replica: @libsql/client's file database that syncs from the server, run in its own
 *  thread (libsqlReplica.worker.ts) because its sync blocks.
 *
 *  It pulls only while it is read. A replica applies every page the primary writes, whoever wrote
 *  it: at 2k messages/s that cost a node a quarter of a core whether or not it ever read history (an
 *  edge-only node never does). So the background sync runs only if a read came since the previous
 *  one, and a replica that has not synced for two intervals is cold: a read then goes to the server
 *  instead of waiting for a pull of everything written since it went idle, and the next background
 *  tick warms it up.
 *
 *  With `ownWrites` (a node's replica of its own region's primary: the server is near, so a read
 *  there costs a LAN round trip, not a WAN one) it also pulls only while its reads pay for the
 *  pull. A read it serves saves a read on the server (0.22-0.32 ms of CPU, sqld and node, over a
 *  read stream: scripts/sqldReadsBench.ts); every page it pulls costs 0.21-0.29 ms of the
 *  replica's threads (the cluster fan-out bench at 1,000 msgs/s writes ~400 pages a second; one
 *  10 s pull there: 4,110 pages, 876 ms of CPU). So it syncs (on a read, or in the background)
 *  only if FREE_PAGES plus READ_WORTH_PAGES per read since its last sync cover the pages it
 *  expects to pull; until then a read that finds it trailing goes to the server. Older pages it
 *  already holds are still read from it, and a quiet region (few pages written) keeps it fresh.
 *
 *  The pages it expects are counted from this node's own write transactions since its last sync,
 *  times the pages per own transaction that sync pulled (the region's other nodes' writes ride on
 *  that ratio). Not from time: a rate per second measured in a burst and extrapolated over the quiet
 *  after it kept a replica read less often than the burst wrote from ever syncing again (found in
 *  review); capping it at the last pull's size let a busy region's replica make ever larger pulls.
 *  A node that writes nothing itself expects nothing and pulls when read, as without the gate. */
export class EmbeddedReplica implements ReplicaReads {
  private syncing: Promise<void> | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;
  private nextId = 1;
  private replies = new Map<number, (r: { rows?: unknown[]; frames?: number; error?: string }) => void>();
  private readonly worker: Worker;
  /** When the newest successful sync started (performance.now()); 0 = never. */
  private lastSyncStart = 0;
  private readSinceTick = false;
  /** Reads considered since the newest sync started; pages pulled per own write transaction (from
   *  the newest sync that pulled any after own writes), and the own-writes count when it ended. */
  private readsSinceSync = 0;
  private pagesPerWrite = 0;
  private writesAtSync = 0;

  private constructor(
    private readonly syncMs: number,
    readonly stats: ReplicaStats,
    /** This node's write transactions so far (a counter): set for the gate described above. */
    private readonly ownWrites: (() => number) | undefined,
  ) {
    this.worker = new Worker(new URL("./libsqlReplica.worker.ts", import.meta.url).href);
    this.worker.onmessage = (e: MessageEvent<{ id: number; rows?: unknown[]; frames?: number; error?: string }>) => {
      const reply = this.replies.get(e.data.id);
      this.replies.delete(e.data.id);
      reply?.(e.data);
    };
  }

  static async open(path: string, syncUrl: string, authToken: string | undefined, syncMs: number,
    stats: ReplicaStats = { reads: 0, syncs: 0, fallbacks: 0, backgroundSyncs: 0 }, ownWrites?: () => number): Promise<EmbeddedReplica> {
    const r = new EmbeddedReplica(syncMs, stats, ownWrites);
    const started = performance.now();
    try {
      await r.ask({ t: "open", path, syncUrl, authToken });
    } catch (e) {
      r.worker.terminate();
      throw e;
    }
    r.lastSyncStart = started;
    r.writesAtSync = ownWrites?.() ?? 0;
    r.timer = setInterval(() => r.tick(), syncMs);
    r.timer.unref?.();
    return r;
  }

  /** Synced recently enough that a read which finds it trailing may wait for a (small) sync, and
   *  (with `ownWrites`) read enough since that the sync pays for itself. */
  get warm(): boolean {
    return this.lastSyncStart > 0 && performance.now() - this.lastSyncStart < 2 * this.syncMs && this.pullPays();
  }

  /** The pages a sync now would pull: own writes since the last sync times the pages per own write
   *  that sync pulled (see the class comment). */
  get expectedPages(): number {
    return this.ownWrites ? this.pagesPerWrite * (this.ownWrites() - this.writesAtSync) : 0;
  }

  private pullPays(): boolean {
    return !this.ownWrites || FREE_PAGES + this.readsSinceSync * READ_WORTH_PAGES >= this.expectedPages;
  }

  /** A reader considered the replica: keep it syncing in the background. */
  noteRead(): void {
    this.readSinceTick = true;
    this.readsSinceSync++;
  }

  private tick(): void {
    if (!this.readSinceTick || !this.pullPays()) return;
    this.readSinceTick = false;
    this.stats.backgroundSyncs++;
    void this.sync().catch(() => {});
  }

  private ask(m: Record<string, unknown>): Promise<unknown[] | undefined> {
    return this.askFor(m).then((r) => r.rows);
  }

  private askFor(m: Record<string, unknown>): Promise<{ rows?: unknown[]; frames?: number }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.replies.set(id, (r) => (r.error === undefined ? resolve(r) : reject(new Error(r.error))));
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
    const readsBefore = this.readsSinceSync;
    const p = this.askFor({ t: "sync" }).then(({ frames = 0 }) => {
      const writes = this.ownWrites?.() ?? 0;
      // Only after own writes: a pull of what other nodes wrote alone says nothing per own write.
      if (frames > 0 && writes > this.writesAtSync) this.pagesPerWrite = frames / (writes - this.writesAtSync);
      this.writesAtSync = writes;
      this.lastSyncStart = Math.max(this.lastSyncStart, started);
      // Reads that came while it ran are counted toward the next one.
      this.readsSinceSync = Math.max(0, this.readsSinceSync - readsBefore);
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

/** The replica's file and the files the embedded client keeps beside it. */
function discardReplica(path: string): void {
  for (const suffix of ["", "-wal", "-shm", "-client_wal_index", "-info"]) rmSync(path + suffix, { force: true });
}

/** Opens (and first syncs) the replica in `path` from the server at `httpUrl`. The replica is only a
 *  cache of the server. One left unusable (seen in the chaos run: after a kill -9 of the node or a
 *  restart of the server, "database disk image is malformed") must not keep the node from starting
 *  or a far region from being read: it is started afresh, once. */
export function openReplicaFile(path: string, httpUrl: string, authToken: string | undefined, syncMs: number, stats?: ReplicaStats,
  ownWrites?: () => number): Promise<EmbeddedReplica> {
  const open = () => EmbeddedReplica.open(path, httpUrl, authToken, syncMs, stats, ownWrites);
  return open().catch((e) => {
    console.error(`[libsql] replica ${path} unusable (${e instanceof Error ? e.message : String(e)}): starting it afresh`);
    discardReplica(path);
    return open();
  });
}
