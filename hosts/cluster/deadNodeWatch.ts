/**
 * Finds a crashed node of this region in a tenth of a lease instead of a whole one (issue #16: owner
 * failure within 2 s). A killed process's TCP connections are closed by the kernel at once, so Redis
 * and NATS both drop it within a round trip. Every few tens of ms this node asks Redis which recorded
 * node connections are gone (leases.ts `disconnected`); for each, it asks NATS too (a request to the
 * node's rpc subject: "no responders" means nothing of that node is on the bus any more). Only when
 * both say so is the node evicted (its liveness key deleted, so its actors can be claimed now) and
 * declared gone on the bus (peers.ts), which closes every socket bridged to it so clients reconnect.
 *
 * Safety does not rest on this: an evicted node that was alive after all fences itself at its next
 * renewal, and its commits are refused by the storage fence (actors/storage/ownerFence.ts) meanwhile.
 * Needing both Redis and NATS to have lost it keeps such false evictions rare (a node cut off from
 * Redis alone is left to its TTL). A paused node keeps its connections and is left to its TTL too.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import type { NodeLeases } from "./leases.ts";
import type { Peers } from "./peers.ts";
import type { Subjects } from "./wire.ts";

/** How long the bus may take to answer for a node that is there. */
const BUS_PROBE_TIMEOUT_MS = 500;

export class DeadNodeWatch {
  private timer: ReturnType<typeof setInterval> | undefined;
  private checking = false;
  /** Nodes this watch evicted (a gauge). */
  evicted = 0;

  constructor(
    private readonly leases: NodeLeases,
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    private readonly peers: Peers,
    private readonly everyMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), this.everyMs);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (const d of await this.leases.disconnected()) {
        if (!(await this.goneFromBus(d.node))) continue;
        if (!(await this.leases.evict(d))) continue;
        this.evicted++;
        console.warn(`[cluster] ${d.node} (${d.incarnation}) dropped its Redis and NATS connections: evicted, its actors can be claimed now`);
        this.peers.declareGone(d.node, d.incarnation);
      }
    } catch {
      // Redis or the bus unreachable: nothing is evicted; the TTL still frees a dead node's actors.
    } finally {
      this.checking = false;
    }
  }

  /** True only on a definite "no responders" (a timeout or a broken bus proves nothing). */
  private async goneFromBus(node: string): Promise<boolean> {
    try {
      await this.nc.request(this.subjects.rpc(node), "", { timeout: BUS_PROBE_TIMEOUT_MS });
      return false;
    } catch (e) {
      return /no responders|503/i.test(String((e as Error)?.message ?? e));
    }
  }
}
