/**
 * Cluster mode: many Bun nodes in several regions, each actor on exactly one node at a time.
 *
 * Where an actor lives is decided in two steps, once, and then cached:
 *  1. its home region — global, in a NATS KV bucket (homeRegions.ts): the first toucher's region,
 *     except a user's inbox, claimed at sign-up by the region the user came through (claimHome);
 *  2. its owner node in that region — a Redis lease in the region's Redis (leases.ts). A node of the
 *     home region claims it; a node elsewhere (or an edge-only node) asks the region's queue group.
 * Calls to an actor owned here are method calls on the local BunActorSystem; others go to the owner
 * over NATS (rpc.ts, and sockets through socketBridge.ts / remoteSockets.ts). This class is the
 * edge's ActorsClient and every local actor's ActorMesh.
 *
 * A region's storage (its libSQL primary) is shared by its nodes, so a new owner loads exactly what
 * the last one committed; fencing tokens and the log's primary key refuse a stale writer's commit.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { isNexusError, NexusError, type Presence } from "../../protocol/index.ts";
import type { ActorsClient, ConversationApi, InboxApi } from "../../actors/api.ts";
import type { ActorMesh, InboxUpdate, RingNotice } from "../../actors/ports.ts";
import { LruMap } from "../../actors/lruMap.ts";
import type { BunActorSystem } from "../bun/BunActorSystem.ts";
import type { HomeRegions } from "./homeRegions.ts";
import type { NodeLeases } from "./leases.ts";
import type { ActorKind } from "../../actors/api.ts";
import { remoteStub } from "../../actors/remoteStub.ts";
import type { Peers } from "./peers.ts";
import { callRpc, MovedError, serveRpc } from "./actorRpc.ts";
import type { Subjects } from "./wire.ts";
import { askRegion, HomeIsElsewhere } from "./askRegion.ts";
import { serveLocate } from "./serveLocate.ts";

const RPC_TIMEOUT_MS = 10_000;
/** Pause between lookups while an actor moves (its owner died or gave it up). */
const RETRY_MS = 100;

export interface ClusterParts {
  nc: NatsConnection;
  subjects: Subjects;
  node: string;
  region: string;
  peers: Peers;
  homes: HomeRegions;
  /** This region's leases; null on an edge-only node (it never owns actors). */
  leases: NodeLeases | null;
  /** The liveness lease TTL: the longest a dead owner's lease keeps naming it. */
  leaseTtlMs: number;
}

export class ClusterActorSystem implements ActorsClient, ActorMesh {
  /** Actors this node holds the lease of: `${kind}:${id}`. */
  private owned = new Set<string>();
  /** Owners of actors elsewhere, as last looked up. */
  private owners = new LruMap<string, string>(100_000);
  private rpcSub: Subscription | undefined;
  private locateSub: Subscription | undefined;
  /** Leases being given back after eviction, by key. */
  private releasing = new Map<string, Promise<void>>();
  /** Set by stop(): this node owns nothing any more (see owns()). */
  private stopping = false;
  /** Actors being moved to another region (homeMoves.ts): answered "moved" meanwhile, by key. */
  private moving = new Set<string>();
  /** The actors owned here; set by the host before start() on nodes that host actors. */
  local: BunActorSystem | null = null;
  /** False while the NATS connection is down (set by the host): calls that need the bus are
   *  refused at once with a retryable error instead of waiting for timeouts. */
  busUp = true;

  constructor(private readonly p: ClusterParts) {
    p.peers.onGone((node) => {
      // Forget cached owners on that node: the next call looks the owner up again (and claims).
      for (const key of this.ownersOn(node)) this.owners.delete(key);
    });
  }

  get node(): string {
    return this.p.node;
  }

  start(): void {
    const { nc, subjects, node, region } = this.p;
    this.rpcSub = serveRpc(nc, subjects.rpc(node), (kind, id) => this.localActor(kind, id));
    if (this.local && this.p.leases) {
      const leases = this.p.leases;
      this.locateSub = serveLocate(nc, subjects.locate(region), {
        owner: async (k, id) => (this.owns(k, id) ? node : await leases.owner(k, id)),
        ownedHere: (k, id) => this.owns(k, id),
        // Asked by a node that believes the home is here: claim only if it is (a claim here for
        // an actor moved away would hold it where its copy is a tombstone, chaos seed 37).
        claimIfHome: async (k, id) => {
          const home = await this.homeHere(k, id);
          return home === region ? { node: await this.claimHere(k, id) } : { home };
        },
        node,
      });
    }
  }

  /** The home as this node knows it, read again from the placement store when it is not this
   *  region (the asker's belief and ours differ: one of us missed a move's broadcast). */
  private async homeHere(kind: ActorKind, id: string): Promise<string> {
    const cached = await this.homeOf(kind, id);
    return cached === this.p.region ? cached : ((await this.p.homes.current(kind, id)) ?? cached);
  }

  /** A load found this region's copy moved to `region` (the store's tombstone; homeMoves.ts
   *  confirmMoved checked the placement store): this node gives the actor up at once, so the next
   *  call or socket is routed to the new home instead of to this node again and again. */
  movedAway(kind: ActorKind, id: string): void {
    const key = `${kind}:${id}`;
    if (!this.owned.has(key) || this.moving.has(key)) return;
    this.evicted(kind, id); // not owned from now on: calls under way here look again (call())
    this.forget(kind, id);
    // The instance goes after the failing load has unwound (it is that load's caller).
    setTimeout(() => {
      if (!this.owned.has(key)) this.local?.drop(kind, id);
    }, 0);
  }

  /** A cached owner turned out stale (it gave the actor up): the next lookup asks again. */
  forget(kind: ActorKind, id: string): void {
    this.owners.delete(`${kind}:${id}`);
  }

  /** Is this actor held here (sync: used for every socket frame and rpc). A stopping node holds
   *  nothing: new sockets and calls are sent on while it flushes. */
  owns(kind: ActorKind, id: string): boolean {
    const key = `${kind}:${id}`;
    return !this.stopping && this.owned.has(key) && !this.moving.has(key);
  }

  /** A move starts: calls and sockets for the actor are refused (callers retry, clients reconnect)
   *  and the local actor hands over, so nothing changes while its rows are copied. A failed
   *  hand-over throws; the mover still calls endMove. */
  async pauseForMove(kind: ActorKind, id: string): Promise<void> {
    this.moving.add(`${kind}:${id}`);
    await this.local?.handOver(kind, id);
  }

  /** Another node moved this actor away: an instance left here must never serve it again. */
  dropLocal(kind: ActorKind, id: string): void {
    if (!this.owned.has(`${kind}:${id}`)) this.local?.drop(kind, id);
  }

  /** The move ended: moved (this node gives the actor up: `evicted` releases the lease), or failed
   *  (this node serves it again). */
  endMove(kind: ActorKind, id: string, moved: boolean): void {
    if (moved) {
      // A late frame may have made a fresh instance meanwhile (it could not write: no socket of it
      // was attached), but it holds the old copy's state: it goes.
      this.local?.drop(kind, id);
      this.evicted(kind, id);
      this.forget(kind, id);
    }
    this.moving.delete(`${kind}:${id}`);
  }

  /** Claims in this region's Redis. Never while this node is still giving the same actor back
   *  (eviction): a claim answered "you" just before the release lands would leave two owners. */
  private async claimHere(kind: ActorKind, id: string): Promise<string> {
    const key = `${kind}:${id}`;
    for (let r = this.releasing.get(key); r; r = this.releasing.get(key)) await r;
    if (this.stopping) throw new NexusError("unavailable", "this node is stopping");
    const owner = await this.p.leases!.claim(kind, id);
    if (owner === this.p.node) {
      if (this.releasing.has(key)) return this.claimHere(kind, id);
      // Newly ours: an instance left in memory from an earlier stay may be older than storage (another
      // node, or another region, wrote since), so it is dropped and the actor loads afresh. Asked after
      // the claim: two claims at once (a failover's reconnects) must not both count as new, or the
      // second would drop the instance the first just gave its sockets to.
      if (!this.owned.has(key)) this.local?.drop(kind, id);
      this.owned.add(key);
      // An actor object now (unloaded: cheap), so that if nothing ever uses it, idle eviction
      // gives the lease back instead of leaving it pinned here.
      this.local?.actor(kind, id);
    }
    return owner;
  }

  /** The actor when this node owns it, as a table of its methods (callers name them by string). */
  private localActor(kind: ActorKind, id: string): Record<string, unknown> | null {
    if (!this.local || !this.owns(kind, id)) return null;
    return this.local.actor(kind, id) as object as Record<string, unknown>;
  }

  /** The node that owns the actor now, claiming it for this node when it is unowned in our region.
   *  Never a node the peers declared gone: after a crash its lease names it for up to one TTL, and
   *  routing there would hang sockets and calls; we wait that out (the lease then expires and the
   *  actor is claimed by a live node) and answer `unavailable` only if it lasts longer. */
  async ownerOf(kind: ActorKind, id: string): Promise<string> {
    const key = `${kind}:${id}`;
    // Moving away from here: not "here" (a socket upgraded here now would attach to an instance
    // that must not write), and not elsewhere yet. Wait for the move to end, then look again.
    for (const until = Date.now() + this.p.leaseTtlMs + 500; this.moving.has(key); await sleep(RETRY_MS))
      if (Date.now() >= until) throw new NexusError("unavailable", `${kind} ${id} is moving to another region; try again`);
    if (this.owned.has(key)) return this.p.node;
    this.needBus();
    const cached = this.owners.get(key);
    if (cached !== undefined && this.p.peers.alive(cached)) return cached;
    const giveUp = Date.now() + this.p.leaseTtlMs + 500;
    for (;;) {
      const owner = await this.lookUp(kind, id);
      if (owner === this.p.node) return owner;
      if (!this.p.peers.isGone(owner)) {
        this.owners.set(key, owner);
        this.p.peers.touch(owner);
        return owner;
      }
      if (Date.now() >= giveUp) throw new NexusError("unavailable", `${kind} ${id}: its node ${owner} went away and its lease has not run out yet; try again`);
      await sleep(RETRY_MS);
    }
  }

  private async lookUp(kind: ActorKind, id: string): Promise<string> {
    try {
      for (let attempt = 1; ; attempt++) {
        const home = await this.homeOf(kind, id);
        if (home === this.p.region && this.local && this.p.leases) return await this.claimHere(kind, id);
        try {
          return await this.locate(home, kind, id);
        } catch (e) {
          // That region says the home is elsewhere (we missed a move's broadcast): learnt; again.
          if (!(e instanceof HomeIsElsewhere) || attempt >= 3) throw e;
          this.p.homes.learn(kind, id, e.region);
        }
      }
    } catch (e) {
      if (e instanceof NexusError) throw e;
      throw new NexusError("unavailable", `cannot place ${kind} ${id} now (${(e as Error)?.message ?? e})`);
    }
  }

  /** The home region, read (or set) in the placement bucket. JetStream answers "temporarily
   *  unavailable" for a moment while its meta leader or the bucket's stream changes hands (seen in a
   *  clean-clone run of regionalData.test.ts right after start): that is retried for up to 2 s
   *  before the caller gets `unavailable`. Reading or setting a home is idempotent. */
  private async homeOf(kind: ActorKind, id: string): Promise<string> {
    const giveUp = Date.now() + 2000;
    for (let wait = 50; ; wait = Math.min(wait * 2, 400)) {
      try {
        return await this.p.homes.regionOf(kind, id);
      } catch (e) {
        if (!/temporarily unavailable/i.test(String((e as Error)?.message ?? e)) || Date.now() + wait > giveUp) throw e;
        await sleep(wait);
      }
    }
  }

  /** Homes the actor in this region unless it has a home already (a user's inbox at sign-up and
   *  login: Host.claimInboxHome); answers the home it has now. The store's create lets one claim
   *  win, so nodes racing for one actor still leave exactly one home. */
  async claimHome(kind: ActorKind, id: string): Promise<string> {
    this.needBus();
    return this.homeOf(kind, id);
  }

  /** Off the bus nothing elsewhere can be reached (nor placed: the placement bucket is on NATS). */
  private needBus(): void {
    if (!this.busUp) throw new NexusError("unavailable", "this node is reconnecting to the cluster bus; try again");
  }

  /** The owner if the actor is held anywhere now, else null; never places it. */
  async peekOwner(kind: ActorKind, id: string): Promise<string | null> {
    const key = `${kind}:${id}`;
    if (this.owned.has(key)) return this.p.node;
    const cached = this.owners.get(key);
    if (cached !== undefined && this.p.peers.alive(cached)) return cached;
    const home = await this.p.homes.regionOf(kind, id);
    const owner = home === this.p.region && this.p.leases ? await this.p.leases.owner(kind, id) : await this.locate(home, kind, id, true);
    return owner && !this.p.peers.isGone(owner) ? owner : null;
  }

  private locate(region: string, kind: ActorKind, id: string, peek = false): Promise<string> {
    return askRegion(this.p.nc, this.p.subjects, region, kind, id, peek);
  }

  /** Run `m(...args)` on the actor wherever it lives; re-resolves the owner when it moved or died,
   *  for as long as a dead owner's lease can take to run out. */
  async call(kind: ActorKind, id: string, m: string, args: unknown[]): Promise<unknown> {
    const giveUp = Date.now() + this.p.leaseTtlMs + 1000;
    for (let attempt = 1; ; attempt++) {
      const owner = await this.ownerOf(kind, id);
      const here = owner === this.p.node ? this.localActor(kind, id) : null;
      if (here) {
        try {
          return await (here[m] as (...a: unknown[]) => unknown).apply(here, args);
        } catch (e) {
          // Its load found the copy here moved to another region (movedAway gave it up): the
          // operation never ran, so it goes to the new home now rather than back as a 503.
          if (attempt < 3 && isNexusError(e) && e.details?.movedTo !== undefined && !this.owned.has(`${kind}:${id}`)) continue;
          throw e;
        }
      }
      try {
        return await callRpc(this.p.nc, this.p.subjects.rpc(owner), { k: kind, id, m, a: args }, RPC_TIMEOUT_MS);
      } catch (e) {
        // Its owner's load found that copy moved to another region (and gave it up): learn the
        // home and send the call there; the operation never ran.
        const movedTo = isNexusError(e) ? e.details?.movedTo : undefined;
        if (typeof movedTo === "string" && attempt < 3) {
          this.p.homes.learn(kind, id, movedTo);
          this.forget(kind, id);
          continue;
        }
        if (e instanceof NexusError) throw e;
        // Moved, or nobody listens on the owner's subject (it died): look the owner up again. A
        // timeout is not retried: the operation may have run, and only the client knows whether
        // repeating it is safe (sends are, by clientId).
        const moved = e instanceof MovedError || /no responders|503/i.test(String((e as Error)?.message ?? e));
        if (!moved) throw new NexusError("unavailable", `${kind} ${id}: its node did not answer (${(e as Error)?.message ?? e})`);
        if (Date.now() >= giveUp) throw new NexusError("unavailable", `${kind} ${id} is moving between nodes; try again`);
        this.owners.delete(`${kind}:${id}`);
        await sleep(Math.min(RETRY_MS, 25 * attempt));
      }
    }
  }

  // ---- ActorsClient
  conversation(id: string): ConversationApi {
    return remoteStub("conversation", (m, args) => this.call("conversation", id, m, args));
  }

  inbox(userId: string): InboxApi {
    return remoteStub("inbox", (m, args) => this.call("inbox", userId, m, args));
  }

  // ---- ActorMesh: the same calls, from the actors owned here.
  notifyInbox(userId: string, update: InboxUpdate): void {
    this.call("inbox", userId, "apply", [update]).catch((e) => console.error(`[cluster] inbox ${userId} update failed`, e));
  }

  syncInbox(userId: string, update: InboxUpdate): Promise<void> {
    return this.call("inbox", userId, "apply", [{ ...update, durable: true }]) as Promise<void>;
  }

  ring(userId: string, notice: RingNotice): void {
    this.call("inbox", userId, "ring", [notice]).catch((e) => console.error(`[cluster] ring ${userId} failed`, e));
  }

  presenceChanged(toUserId: string, presence: Presence): void {
    // Only an inbox that is loaded somewhere has sockets to tell; do not place one just for this.
    void this.peekOwner("inbox", toUserId).then((owner) => {
      if (owner !== null) return this.call("inbox", toUserId, "presenceChanged", [presence]);
    }).catch(() => {});
  }

  presenceOf(userIds: string[]): Promise<Presence[]> {
    return Promise.all(userIds.map((u) => this.call("inbox", u, "presence", []) as Promise<Presence>));
  }

  // ---- lifecycle
  /** An idle actor was evicted here: give its lease back so any node may take it next time. Until
   *  the release is through, this node claims it for nobody (claimHere waits). A failed release is
   *  retried: left in Redis, the lease would name a node that answers "moved" for ever. */
  evicted(kind: ActorKind, id: string): void {
    const key = `${kind}:${id}`;
    this.owned.delete(key);
    const leases = this.p.leases;
    if (!leases) return;
    const done = (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await leases.release(kind, id);
        } catch (e) {
          // A lost lease fences the whole node (exit), so retrying cannot outlive a real loss.
          if (attempt % 10 === 1) console.error(`[cluster] release ${kind} ${id} failed (attempt ${attempt})`, e);
          await new Promise((r) => setTimeout(r, Math.min(5000, 100 * attempt)));
        }
      }
    })();
    this.releasing.set(key, done);
    void done.finally(() => this.releasing.delete(key));
  }

  private ownersOn(node: string): string[] {
    const keys: string[] = [];
    for (const [key, owner] of this.owners.entries()) if (owner === node) keys.push(key);
    return keys;
  }

  get stats() {
    return { owned: this.owned.size, cachedOwners: this.owners.size };
  }

  /** Stop owning: from now on every call and socket for an actor here is answered "moved" (so
   *  callers look again and, once this node's liveness key is gone, land elsewhere), and this node
   *  no longer answers for its region. */
  stop(): void {
    this.stopping = true;
    this.locateSub?.unsubscribe();
  }

  /** Leave the bus (after stop() and the flush). */
  close(): void {
    this.rpcSub?.unsubscribe();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
