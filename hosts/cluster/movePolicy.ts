/**
 * When an actor moves by itself (#15; docs/cluster.md "Moves"). Its owner counts where its traffic
 * comes from (the region of the node holding the client's socket): for a conversation, each socket
 * write; for an inbox, each open inbox socket of the user at each check (`onCheck` samples them:
 * connection time, since a user who stays connected sends nothing; automaticMoves.ts). The counts go in six buckets
 * of one check each (a sliding window of six checks, one minute by default). An actor moves to
 * region R when, at `sustainedChecks` consecutive checks, the window held at least `minWrites`
 * counts and R had at least 3/4 of them, R is not its home, and it has not moved for `cooldownMs`.
 * The three thresholds are the hysteresis: a conversation whose members write from two regions
 * about equally (or a user connected from two) stays where it is, and one that moved does not move
 * back and forth. REST calls are not counted (their origin is not known to the owner).
 */
import type { ActorKind } from "../../actors/api.ts";

export interface MovePolicyOptions {
  checkMs: number;
  sustainedChecks: number;
  minWrites: number;
  cooldownMs: number;
}

/** Checks in the sliding window (one bucket each). */
export const BUCKETS = 6;
const DOMINANT = 0.75;

interface Traffic {
  /** buckets[i]: region → writes, newest last. */
  buckets: Array<Map<string, number>>;
  /** The region that dominated the last checks, and for how many in a row. */
  leader: string | null;
  streak: number;
}

export class MovePolicy {
  private traffic = new Map<string, Traffic>();
  private lastMoved = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Called at the start of every check, before deciding (an inbox's owner samples its sockets). */
  onCheck: (() => void) | undefined;

  constructor(
    private readonly kind: ActorKind,
    private readonly o: MovePolicyOptions,
    private readonly region: string,
    /** Does this node own the actor now (only owners count and decide). */
    private readonly owns: (id: string) => boolean,
    private readonly move: (id: string, to: string) => Promise<unknown>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Traffic of actor `id` (a client's write, an open socket) arrived through a node of `fromRegion`. */
  write(id: string, fromRegion: string, n = 1): void {
    let t = this.traffic.get(id);
    if (!t) this.traffic.set(id, (t = { buckets: [new Map()], leader: null, streak: 0 }));
    const b = t.buckets[t.buckets.length - 1]!;
    b.set(fromRegion, (b.get(fromRegion) ?? 0) + n);
  }

  /** Is traffic of `id` being counted now? */
  counts(id: string): boolean {
    return this.traffic.has(id);
  }

  /** The actor moved (anywhere in the cluster): no automatic move of it during the cooldown. */
  moved(id: string): void {
    this.traffic.delete(id);
    this.lastMoved.set(id, this.now());
    if (this.lastMoved.size > 100_000) this.lastMoved.delete(this.lastMoved.keys().next().value!);
  }

  start(): void {
    if (this.o.checkMs <= 0) return;
    this.timer = setInterval(() => this.check(), this.o.checkMs);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One check (exported for tests): decide, then open a new bucket. */
  check(): void {
    this.onCheck?.();
    for (const [id, t] of this.traffic) {
      if (!this.owns(id)) {
        this.traffic.delete(id);
        continue;
      }
      const leader = this.dominant(t);
      t.streak = leader !== null && leader === t.leader ? t.streak + 1 : leader !== null ? 1 : 0;
      t.leader = leader;
      const cooled = this.now() - (this.lastMoved.get(id) ?? -Infinity) >= this.o.cooldownMs;
      if (leader !== null && leader !== this.region && t.streak >= this.o.sustainedChecks && cooled) {
        this.traffic.delete(id);
        this.lastMoved.set(id, this.now());
        this.move(id, leader).then(
          () => console.log(`[cluster] moved ${this.kind} ${id} to region ${leader}: its traffic came from there`),
          (e) => console.warn(`[cluster] automatic move of ${this.kind} ${id} to ${leader} failed: ${(e as Error)?.message ?? e}`),
        );
        continue;
      }
      t.buckets.push(new Map());
      if (t.buckets.length > BUCKETS) t.buckets.shift();
      // An actor with no traffic in the whole window is forgotten.
      if (t.buckets.every((b) => b.size === 0)) this.traffic.delete(id);
    }
  }

  /** The region with at least DOMINANT of the window's writes, when there are enough of them. */
  private dominant(t: Traffic): string | null {
    const sum = new Map<string, number>();
    let total = 0;
    for (const b of t.buckets)
      for (const [r, n] of b) {
        sum.set(r, (sum.get(r) ?? 0) + n);
        total += n;
      }
    if (total < this.o.minWrites) return null;
    for (const [r, n] of sum) if (n >= DOMINANT * total) return r;
    return null;
  }
}
