/**
 * Read-only sockets to conversations whose home region is lost (issue #16 "Region loss"): a member
 * who connects through this node while no node of the home region answers (regionLoss.ts, the rule
 * farHistory.ts uses for pages) gets a session served from this node's replica of that region's
 * primary (storage/farReplicas.ts) instead of a 503.
 *
 * No new session logic: the session is an ordinary ConversationActor whose storage is "the primary
 * is unreachable, here is a replica" — exactly what a storage outage looks like to it
 * (storageOutage.ts). So it loads from the replica as the replica has it (its members table decides
 * who may connect), the welcome carries `readOnly`, replays and pages come from the replica without
 * a gap (a client ahead of the replica gets `recovered: false` and the replica's newest page, whose
 * `lastSeq` says how far it goes), and every write is refused with the retryable
 * `storage_unavailable` before anything is stored. It never writes: every statement to its
 * "primary" fails. The region stays the only writer of its conversations; nothing is placed here.
 *
 * Back to writable: once a node of the home region is heard again, the home is asked for the
 * conversation every WATCH_MS (`info`, which loads it there); when it answers, these sockets are
 * closed with 1012 ("reconnect now and resume", as after a failover), and the reconnect reaches the
 * owner, writable, resuming after what the replica gave. Sessions left without sockets go after
 * IDLE_MS.
 */
import { CloseCodes, isNexusError, NexusError, type Limits } from "../../protocol/index.ts";
import type { ActorKind, ConversationApi } from "../../actors/api.ts";
import type { ActorMesh, Connection, SocketActor } from "../../actors/ports.ts";
import type { ReplicaReads, Sql } from "../../actors/storage/sql.ts";
import { ConversationActor } from "../../actors/conversation/ConversationActor.ts";
import { SqlConversationStore } from "../../actors/storage/sqlConversationStore.ts";
import { randomIds, timerClock } from "../../actors/timerClock.ts";
import type { BunActorSystem } from "../bun/BunActorSystem.ts";
import type { FarReplicas } from "./storage/farReplicas.ts";
import { unlessLost, type RegionHearing } from "./regionLoss.ts";

/** How often held sessions check whether their home answers again (only while it is heard). */
const WATCH_MS = 1000;
/** A session with no socket left is dropped after this long (a reconnect meanwhile reuses it). */
const IDLE_MS = 30_000;

export interface FarSessionsDeps extends RegionHearing {
  /** This node's region: its own conversations never get a far session. */
  region: string;
  /** The conversation's home region (the placement store, cached). */
  homeOf(id: string): Promise<string>;
  replicas: FarReplicas;
  /** The conversation at its home, as the cluster reaches it (to ask whether the home answers). */
  home(id: string): ConversationApi;
  /** What the read-only actor reaches other actors through (it only reads: presence for calls). */
  mesh: ActorMesh;
  limits: Limits;
}

/** Where `route` sends a socket: this node's read-only session. */
export const FAR = Symbol("far read-only session");

interface Held {
  actor: ConversationActor;
  home: string;
  /** A user who connected: the home is asked about the conversation as them. */
  member: string;
  usedAt: number;
  probing: boolean;
}

/** Closes a socket whose session ended (its home answered, or this node stops): reconnect. */
const ended: SocketActor = {
  connect: async (conn: Connection) => conn.close(CloseCodes.restart, "read-only session ended"),
  restore: (conn: Connection) => conn.close(CloseCodes.restart, "read-only session ended"),
  receive: async (conn: Connection) => conn.close(CloseCodes.restart, "read-only session ended"),
  disconnect: () => {},
};

export class FarSessions {
  /** Sockets routed to a read-only session; sessions ended because the home answered again. */
  readonly stats = { routed: 0, ended: 0 };
  private readonly held = new Map<string, Held>();
  /** One Sql per replica: a store's search indexer is cached per Sql object. */
  private readonly views = new WeakMap<ReplicaReads, Sql>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly d: FarSessionsDeps) {
    this.timer = setInterval(() => this.watch(), WATCH_MS);
    this.timer.unref?.();
  }

  /** Read-only sessions held on this node (with or without sockets). */
  get size(): number {
    return this.held.size;
  }

  /**
   * Where a socket of `userId` to conversation `id` goes: `owner()` as before; FAR when the home is
   * another region that is lost and this node's replica of it holds the conversation. While a
   * session is held the home was lost a moment ago and the watch asks it every WATCH_MS: a
   * reconnect goes straight to the session instead of waiting for the home again.
   */
  async route(id: string, userId: string, owner: () => Promise<string>): Promise<string | typeof FAR> {
    const held = this.held.get(id);
    if (held) return this.routed(held, userId);
    const home = await this.d.homeOf(id).catch(() => null);
    if (home === null || home === this.d.region || !this.d.replicas.has(home)) return owner();
    try {
      return await unlessLost(this.d, home, owner());
    } catch (e) {
      if (!isNexusError(e) || e.code !== "unavailable") throw e;
      const session = await this.hold(id, home, userId);
      if (!session) throw e; // no replica, or it does not hold the conversation: 503 as before
      return this.routed(session, userId);
    }
  }

  /** The actors of FAR sockets, resolved at every use (AttachedSocket): a session that ended
   *  closes what still reaches it. */
  readonly sockets: Pick<BunActorSystem, "actor"> = {
    actor: ((kind: ActorKind, id: string) => {
      const h = kind === "conversation" ? this.held.get(id) : undefined;
      if (!h) return ended;
      h.usedAt = Date.now();
      return h.actor;
    }) as BunActorSystem["actor"],
  };

  private routed(h: Held, userId: string): typeof FAR {
    h.member = userId;
    h.usedAt = Date.now();
    this.stats.routed++;
    return FAR;
  }

  /** A read-only actor on the replica of `home`, loaded; null when it cannot serve `id`. */
  private async hold(id: string, home: string, userId: string): Promise<Held | null> {
    const replica = await this.d.replicas.get(home);
    if (!replica) return null;
    let h = this.held.get(id);
    if (!h) {
      const actor: ConversationActor = new ConversationActor(id, {
        store: new SqlConversationStore(this.view(replica, home), id), clock: timerClock, ids: randomIds,
        mesh: this.d.mesh, limits: this.d.limits,
        // Never called (nothing is written); were it, the next socket loads the replica again.
        onDiverged: () => this.drop(id, actor),
      });
      this.held.set(id, (h = { actor, home, member: userId, usedAt: Date.now(), probing: false }));
    }
    try {
      await h.actor.ready(); // loads from the replica: the primary "fails" (see view)
      if (h.actor.exists()) return h;
    } catch (e) {
      console.warn(`[far-sessions] conversation ${id} (home ${home}) not served from the replica: ${(e as Error)?.message ?? e}`);
    }
    this.drop(id, h.actor);
    return null;
  }

  /** A Sql whose primary is the lost region's (every statement fails as an unreachable server does)
   *  and whose replica is this node's copy of it: the actor loads and reads from the replica,
   *  read-only, and can write nothing. */
  private view(replica: ReplicaReads, home: string): Sql {
    let sql = this.views.get(replica);
    if (!sql) {
      const lost = () => Promise.reject(new NexusError("storage_unavailable", `region ${home} is lost: read-only from this node's replica of it`));
      this.views.set(replica, (sql = { replica, all: lost, first: lost, run: lost, batch: lost, migrate: lost }));
    }
    return sql;
  }

  private drop(id: string, actor: ConversationActor): void {
    if (this.held.get(id)?.actor !== actor) return;
    this.held.delete(id);
    actor.dispose();
  }

  /** Ends a session: its sockets reconnect (1012) and reach the home, or a fresh session. */
  private end(id: string, h: Held, reason: string): void {
    if (this.held.get(id) !== h) return;
    this.held.delete(id);
    h.actor.fanout.closeAll(CloseCodes.restart, reason);
    h.actor.dispose();
  }

  private watch(): void {
    const now = Date.now();
    for (const [id, h] of this.held) {
      if (h.actor.fanout.size === 0 && now - h.usedAt > IDLE_MS) this.drop(id, h.actor);
      else if (!h.probing && this.d.regionHeard(h.home)) void this.probe(id, h);
    }
  }

  /** Does the home answer for this conversation again? `info` loads it at its owner there. Any
   *  answer ends this session (a refusal too: the owner loaded it), except `unavailable` (no owner
   *  yet) and `storage_unavailable` (the owner cannot load it: that region's server is down too). */
  private async probe(id: string, h: Held): Promise<void> {
    h.probing = true;
    try {
      await unlessLost(this.d, h.home, this.d.home(id).info({ userId: h.member }));
    } catch (e) {
      if (!isNexusError(e) || e.code === "unavailable" || e.code === "storage_unavailable") return;
    } finally {
      h.probing = false;
    }
    this.stats.ended++;
    console.warn(`[far-sessions] conversation ${id}: region ${h.home} answers again; its read-only sockets reconnect there`);
    this.end(id, h, "the home region answers again");
  }

  /** Node shutdown: every session ends (its clients reconnect elsewhere). */
  close(): void {
    clearInterval(this.timer);
    for (const [id, h] of this.held) this.end(id, h, "node stopping");
  }
}
