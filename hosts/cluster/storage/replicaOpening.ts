/**
 * An embedded replica opened behind a node's start (docs/cluster.md "What a node's restart costs").
 * The first sync pulls everything the server committed since the file last synced (the whole
 * database for a new file, or one discarded as unusable after a kill -9): 2.4–4.9 s in
 * bench/nodeRestart.ts, during which a restarted node answered nothing. With `behind`, the node
 * serves as soon as the server answers: `replica` stays undefined until the first sync has
 * completed, so every read goes to the server meanwhile, exactly as on a node without a replica
 * (never a staler answer than the replica's own rules allow, sqlConversationStore.ts readerUpTo),
 * and an attempt that fails is retried every RETRY_MS instead of keeping the node down.
 */
import { EmbeddedReplica, openReplicaFile, type ReplicaStats } from "./embeddedReplica.ts";

/** After a failed open (the server unreachable, the file unusable twice), the next try. */
const RETRY_MS = 5_000;

export class ReplicaOpening {
  /** Shared with the replica once open (the gauges hold this very object from the start). */
  readonly stats: ReplicaStats = { reads: 0, syncs: 0, fallbacks: 0, backgroundSyncs: 0 };
  private opened: EmbeddedReplica | undefined;
  private closed = false;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  /** The first attempt: resolves once it synced, rejects if it failed (then, with `behind`, retried). */
  readonly first: Promise<EmbeddedReplica>;

  constructor(
    private readonly path: string,
    private readonly httpUrl: string,
    private readonly authToken: string | undefined,
    private readonly syncMs: number,
    /** Keep trying after a failure (the node already serves from the server). */
    private readonly behind: boolean,
    /** Tests only (NEXUS_REPLICA_OPEN_DELAY_MS): the first attempt starts this much later. */
    private readonly delayMs = 0,
    /** This node's write transactions to the same server: the replica then pulls only while its
     *  reads pay for it (embeddedReplica.ts). Unset for the accounts' replica (accountsReplica.ts
     *  syncs it itself, on notices). */
    private readonly ownWrites?: () => number,
  ) {
    this.first = this.delayMs > 0 ? new Promise((r) => setTimeout(r, this.delayMs)).then(() => this.attempt()) : this.attempt();
    this.first.catch(() => {}); // handled in attempt(); a caller that awaits `first` sees it too
  }

  /** The replica once its first sync completed; undefined before (read the server). */
  get replica(): EmbeddedReplica | undefined {
    return this.opened;
  }

  private async attempt(): Promise<EmbeddedReplica> {
    const started = performance.now();
    try {
      const r = await openReplicaFile(this.path, this.httpUrl, this.authToken, this.syncMs, this.stats, this.ownWrites);
      if (this.closed) {
        await r.close();
        throw new Error("replica closed while it opened");
      }
      this.opened = r;
      if (this.behind) console.log(`[libsql] replica ${this.path} synced in ${Math.round(performance.now() - started)} ms: reads use it from now on`);
      return r;
    } catch (e) {
      if (this.behind && !this.closed) {
        // Logged at the first failure and then once a minute (a server down for long).
        if (this.failures++ % 12 === 0) console.error(`[libsql] replica ${this.path} could not be opened (${e instanceof Error ? e.message : String(e)}); reading the server, next try in ${RETRY_MS / 1000} s`);
        this.retry = setTimeout(() => void this.attempt().catch(() => {}), RETRY_MS);
        this.retry.unref?.();
      }
      throw e;
    }
  }

  /** Closes the open replica. One still opening is closed when its attempt ends (not waited for:
   *  its server may never answer, and the process is stopping). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.opened?.close();
  }
}
