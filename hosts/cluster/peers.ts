/**
 * Which nodes are up, as seen on the bus: every node publishes `<node>|<incarnation>|<region>` every
 * second; a node silent for `deadAfterMs`, or back with a new incarnation (it restarted and forgot
 * every socket it held), is declared gone once. Bridged sockets to or from it are then closed so
 * their clients reconnect and resume from storage, instead of waiting on a node that is not there.
 *
 * A node that found a peer dead sooner (its Redis connection closed: deadNodeWatch.ts) says so on
 * `<subject>.gone` as `<node>|<incarnation>`; every node then declares that incarnation gone at once
 * instead of waiting for its heartbeats to stop counting.
 *
 * Ownership is decided by the Redis leases (leases.ts), not here: this only says whom to stop
 * talking to.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";

export interface PeerOptions {
  intervalMs?: number;
  deadAfterMs?: number;
}

interface Peer {
  incarnation: string;
  region: string;
  seen: number;
}

export class Peers {
  private peers = new Map<string, Peer>();
  /** Nodes declared gone and not heard from since: never routed to (their lease may still look
   *  live in Redis for up to one TTL after a crash, but nothing there answers). */
  private down = new Set<string>();
  private listeners: Array<(node: string) => void> = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private sub: Subscription | undefined;
  private goneSub: Subscription | undefined;
  private readonly intervalMs: number;
  private readonly deadAfterMs: number;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subject: string,
    readonly node: string,
    readonly incarnation: string,
    readonly region: string,
    opts: PeerOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 1000;
    this.deadAfterMs = opts.deadAfterMs ?? 3500;
  }

  start(): void {
    this.sub = this.nc.subscribe(this.subject, {
      callback: (err, msg) => {
        if (err) return;
        const [node, incarnation, region] = msg.string().split("|");
        if (!node || !incarnation || node === this.node) return;
        const known = this.peers.get(node);
        if (known && known.incarnation !== "?" && known.incarnation !== incarnation) this.gone(node);
        this.peers.set(node, { incarnation, region: region ?? "", seen: Date.now() });
        this.down.delete(node);
      },
    });
    this.goneSub = this.nc.subscribe(`${this.subject}.gone`, {
      callback: (err, msg) => {
        if (err) return;
        const [node, incarnation] = msg.string().split("|");
        if (node && incarnation) this.goneIf(node, incarnation);
      },
    });
    const beat = () => {
      this.nc.publish(this.subject, `${this.node}|${this.incarnation}|${this.region}`);
      const cutoff = Date.now() - this.deadAfterMs;
      for (const [node, p] of this.peers) if (p.seen < cutoff) this.gone(node);
    };
    beat();
    this.timer = setInterval(beat, this.intervalMs);
    this.timer.unref?.();
  }

  /** Heard from within the dead-after window. Unknown nodes count as down. */
  alive(node: string): boolean {
    return node === this.node || this.peers.has(node);
  }

  /** Declared gone (silent past the dead-after window) and not heard from since. Unlike !alive(),
   *  false for a node merely not heard from yet (one that just started). */
  isGone(node: string): boolean {
    return this.down.has(node);
  }

  /** We are about to depend on `node` (Redis named it owner) before hearing its first heartbeat:
   *  track it now, so that if it dies without ever beating, `onGone` still fires. */
  touch(node: string): void {
    if (node !== this.node && !this.peers.has(node)) this.peers.set(node, { incarnation: "?", region: "", seen: Date.now() });
  }

  /** The region a node's heartbeats name (this node's own too); "" when not heard from yet. */
  regionOf(node: string): string {
    return node === this.node ? this.region : (this.peers.get(node)?.region ?? "");
  }

  /** `node` went away (or restarted): called once per disappearance. */
  onGone(fn: (node: string) => void): void {
    this.listeners.push(fn);
  }

  list(): Array<{ node: string; region: string; seen: number }> {
    return [...this.peers].map(([node, p]) => ({ node, region: p.region, seen: p.seen }));
  }

  /** `node` (that incarnation) is known dead: declare it gone here and on every other node. */
  declareGone(node: string, incarnation: string): void {
    this.goneIf(node, incarnation);
    this.nc.publish(`${this.subject}.gone`, `${node}|${incarnation}`);
  }

  /** Only the incarnation named: a notice that arrives after the node restarted must not end the new run. */
  private goneIf(node: string, incarnation: string): void {
    const known = this.peers.get(node);
    if (known && (known.incarnation === incarnation || known.incarnation === "?")) this.gone(node);
  }

  private gone(node: string): void {
    this.peers.delete(node);
    this.down.add(node);
    for (const fn of this.listeners) {
      try {
        fn(node);
      } catch (e) {
        console.error(`[peers] listener failed for ${node}`, e);
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.sub?.unsubscribe();
    this.goneSub?.unsubscribe();
  }
}
