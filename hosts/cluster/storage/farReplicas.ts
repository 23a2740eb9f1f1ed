/**
 * Embedded replicas of OTHER regions' primaries (docs/cluster.md "Replicas on every node"): a node
 * reads history of conversations homed elsewhere from a local file instead of asking the owner
 * across the WAN, and can still read it (read-only) while that region is lost (farHistory.ts).
 *
 * Where the other regions' servers are: NEXUS_REGION_LIBSQL_URLS (config.ts), an explicit map from
 * the operator, rather than each node advertising its own LIBSQL_URL in its heartbeat (peers.ts):
 *  - the address to dial depends on the path between the two regions (a private link, a VPN, here
 *    the WAN-delay proxy), which only whoever lays out the network knows; a region's own LIBSQL_URL
 *    is often a region-local name that other regions cannot reach;
 *  - a node must know it even when the region died before this node ever heard one of its
 *    heartbeats (started after the loss), which is exactly when the replica is wanted most.
 *
 * Bounded: at most one replica per region, opened on the first read that wants it (a node that never
 * reads a region's history pulls nothing of it), and like the node's own replica it syncs in the
 * background only while it is read (EmbeddedReplica).
 */
import { join, dirname, basename } from "node:path";
import { openReplicaFile, type EmbeddedReplica } from "./embeddedReplica.ts";
import { serverUrls } from "./remoteLibsql.ts";

/** How long a reader waits for a replica still being opened (its first sync pulls the region's whole
 *  database): past that it is read elsewhere this time, and the open goes on in the background. */
const OPEN_WAIT_MS = 3_000;
/** After a failed open (the server unreachable), no new attempt for this long. */
const RETRY_AFTER_MS = 10_000;

export class FarReplicas {
  private readonly open = new Map<string, Promise<EmbeddedReplica>>();
  private readonly ready = new Map<string, EmbeddedReplica>();
  private readonly failedAt = new Map<string, number>();

  /** `urls`: region → that region's primary as reachable from here (never this node's own region).
   *  `ownReplicaPath`: the node's own replica file; the far ones go beside it. */
  constructor(
    private readonly urls: ReadonlyMap<string, string>,
    private readonly ownReplicaPath: string,
    private readonly authToken: string | undefined,
    private readonly syncMs = 10_000,
  ) {}

  /** Is a replica of `region` configured (whether or not opened yet)? */
  has(region: string): boolean {
    return this.urls.has(region);
  }

  /** The replica of `region` if it is open, or opens within OPEN_WAIT_MS; otherwise null (none
   *  configured, its server unreachable at the first open, or still opening). */
  async get(region: string): Promise<EmbeddedReplica | null> {
    const open = this.ready.get(region);
    if (open) return open;
    const url = this.urls.get(region);
    if (!url) return null;
    let p = this.open.get(region);
    if (!p) {
      if (Date.now() - (this.failedAt.get(region) ?? 0) < RETRY_AFTER_MS) return null;
      p = openReplicaFile(this.pathOf(region), serverUrls(url).http, this.authToken, this.syncMs);
      this.open.set(region, p);
      p.then((r) => this.ready.set(region, r), (e) => {
        console.error(`[far-replica] region ${region} (${url}) could not be opened: ${e instanceof Error ? e.message : String(e)}`);
        this.open.delete(region);
        this.failedAt.set(region, Date.now());
      });
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = new Promise<null>((r) => (timer = setTimeout(() => r(null), OPEN_WAIT_MS)));
    try {
      return await Promise.race([p.catch(() => null), waited]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Region → the open replica's counters, for metrics. */
  opened(): ReadonlyMap<string, EmbeddedReplica> {
    return this.ready;
  }

  private pathOf(region: string): string {
    return join(dirname(this.ownReplicaPath), `${basename(this.ownReplicaPath)}.region-${region}`);
  }

  /** Closes the open replicas. One still opening is not waited for (its server may never answer):
   *  the process is stopping anyway. */
  async close(): Promise<void> {
    await Promise.all([...this.ready.values()].map((r) => r.close()));
  }
}
