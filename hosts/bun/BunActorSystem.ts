/**
 * The Bun host: every actor lives in this process, created on first use and evicted when idle.
 * It is both the edge's ActorsClient (method calls, no RPC) and the actors' ActorMesh; in cluster
 * mode (../cluster/ClusterActorSystem.ts) it holds the actors this node owns, and the cluster is
 * the mesh. One Sql holds all conversations and inboxes and group-commits across actors.
 */
import type { ConfirmMoved, MovedCheck } from "../../actors/storage/movedCheck.ts";
import { defaultLimits, type Limits, type Presence } from "../../protocol/index.ts";
import type { ActorKind, ActorsClient } from "../../actors/api.ts";
import type { ActorMesh, Connection, InboxUpdate, Publisher, RingNotice } from "../../actors/ports.ts";
import { ConversationActor } from "../../actors/conversation/ConversationActor.ts";
import { InboxActor } from "../../actors/inbox/InboxActor.ts";
import type { PushSender } from "../../actors/inbox/pushAlerts.ts";
import type { Sql } from "../../actors/storage/sql.ts";
import { SearchIndexer } from "../../actors/storage/searchIndexer.ts";
import { SqlConversationStore } from "../../actors/storage/sqlConversationStore.ts";
import { SqlInboxStore } from "../../actors/storage/sqlInboxStore.ts";
import { randomIds, timerClock } from "../../actors/timerClock.ts";
import { takeFence, type FenceStay } from "../../actors/storage/ownerFence.ts";

const EVICT_AFTER_MS = 5 * 60_000;
/** A conversation that does not exist is dropped once unused this long (issue #18 item 14). */
const EVICT_ABSENT_AFTER_MS = 1000;

export interface BunActorSystemOptions {
  /** Where actors reach other actors; default: this system (everything in-process). */
  mesh?: ActorMesh;
  /** An idle actor was evicted (cluster mode gives up its lease). */
  onEvict?: (kind: ActorKind, id: string) => void;
  /** Cluster mode: is an actor's tombstone naming `region` current (actorTransfer.ts)? */
  confirmMoved?: (kind: ActorKind, id: string, region: string) => Promise<MovedCheck>;
  /** Cluster mode: every conversation's commits carry a fencing token (ownerFence.ts), taken once per
   *  stay on this node by the first load that finds the conversation, or won by the claim of the
   *  create of one loaded absent (a reload after a refused commit keeps it: it must not take the
   *  conversation back from the newer owner). `drop` ends a stay. Every inbox write claims the
   *  inbox's token from what its instance read or last wrote (inboxWriterFence.ts): an inbox load
   *  writes nothing, and a refused instance is forgotten. Single node: no fence, no extra writes. */
  fenced?: boolean;
}

/** The actor class of each kind, as this host holds them. */
export interface LocalActors {
  conversation: ConversationActor;
  inbox: InboxActor;
}

interface Slot<A> {
  actor: A;
  used: number;
  /** Its first load is done (a conversation's `exists()` means something only then). */
  loaded?: boolean;
}

export class BunActorSystem implements ActorsClient, ActorMesh {
  private conversations = new Map<string, Slot<ConversationActor>>();
  private inboxes = new Map<string, Slot<InboxActor>>();
  /** Fenced mode: the token of each conversation's current stay here. */
  private fenceTokens = new Map<string, Promise<number>>();
  private sweeper: ReturnType<typeof setInterval>;
  /** Bun's server.publish, set by the host once the server listens (before any socket arrives). */
  publisher: Publisher | undefined;
  /** Web Push for inboxes (set by startNode once the VAPID keys are known). */
  push: PushSender | undefined;

  private readonly mesh: ActorMesh;

  constructor(private readonly sql: Sql, private readonly limits: Limits = defaultLimits, private readonly opts: BunActorSystemOptions = {}) {
    this.mesh = opts.mesh ?? this;
    this.sweeper = setInterval(() => this.evictIdle(), 60_000);
    this.sweeper.unref?.();
  }

  static async migrate(sql: Sql): Promise<void> {
    await SqlConversationStore.migrate(sql);
    await SqlInboxStore.migrate(sql);
  }

  conversation(id: string): ConversationActor {
    let slot = this.conversations.get(id);
    if (!slot) {
      const actor: ConversationActor = new ConversationActor(id, { store: new SqlConversationStore(this.sql, id, { confirmMoved: this.confirming("conversation", id),
          fence: this.opts.fenced ? this.fenceStay(id, () => actor) : undefined }), clock: timerClock, ids: randomIds,
        mesh: this.mesh, limits: this.limits, publish: this.publisher,
        // Storage may hold what the actor does not know: the next use loads a fresh one.
        onDiverged: () => {
          if (this.conversations.get(id)?.actor === actor) this.conversations.delete(id);
        } });
      const fresh: Slot<ConversationActor> = (slot = { actor, used: 0 });
      this.conversations.set(id, fresh);
      // Probes of ids that do not exist must not leave an actor each in memory: once loaded and
      // found absent, it goes as soon as it is idle. The check waits a macrotask, so the op that
      // asked for the actor runs first (a create sets `creating` and the actor is not idle).
      actor.ready().then(
        () => {
          fresh.loaded = true;
          setTimeout(() => this.dropIfAbsent(id, fresh), 0);
        },
        () => {},
      );
    }
    slot.used = Date.now();
    return slot.actor;
  }

  /** The tombstone check of one actor's store (cluster mode), else undefined. */
  private confirming(kind: ActorKind, id: string): ConfirmMoved | undefined {
    const confirm = this.opts.confirmMoved;
    return confirm && ((region) => confirm(kind, id, region));
  }

  /** The token of this stay, taken on first use; a failed take is tried again next time. */
  private fenceToken(id: string): Promise<number> {
    let t = this.fenceTokens.get(id);
    if (!t) {
      const taken = (t = takeFence(this.sql, id));
      this.fenceTokens.set(id, taken);
      taken.catch(() => {
        if (this.fenceTokens.get(id) === taken) this.fenceTokens.delete(id);
      });
    }
    return t;
  }

  /** The fence of this stay as the store of `actorOf()` sees it: a token won by its claim counts for
   *  the stay only while that actor is still the one here (a dropped one's late claim does not). */
  private fenceStay(id: string, actorOf: () => ConversationActor): FenceStay {
    return {
      take: () => this.fenceToken(id),
      holds: () => this.fenceTokens.has(id),
      claimed: (token) => {
        if (this.conversations.get(id)?.actor === actorOf()) this.fenceTokens.set(id, Promise.resolve(token));
      },
      refused: () => {
        if (this.conversations.get(id)?.actor === actorOf()) this.conversations.delete(id);
      },
    };
  }

  /** The local actor of either kind (hosts that route by kind: sockets, cluster RPC). */
  actor<K extends ActorKind>(kind: K, id: string): LocalActors[K] {
    return (kind === "conversation" ? this.conversation(id) : this.inbox(id)) as LocalActors[K];
  }

  inbox(userId: string): InboxActor {
    let slot = this.inboxes.get(userId);
    if (!slot) {
      const fenced = this.opts.fenced;
      const actor: InboxActor = new InboxActor(userId, {
        store: new SqlInboxStore(this.sql, userId, this.confirming("inbox", userId), { fenced }), clock: timerClock, mesh: this.mesh,
        maxSocketBufferBytes: this.limits.maxSocketBufferBytes, presencePerSecond: this.limits.presencePerSecond, push: this.push,
        // A newer owner wrote (its fence refused this one's write): the next use loads it anew.
        onDiverged: fenced ? () => {
          if (this.inboxes.get(userId)?.actor === actor) this.inboxes.delete(userId);
        } : undefined,
      });
      this.inboxes.set(userId, (slot = { actor, used: 0 }));
    }
    slot.used = Date.now();
    return slot.actor;
  }

  /** Forget an actor without flushing it: this host is about to (re)claim it, and what it holds in
   *  memory may be older than storage (another node owned it meanwhile), so the next use loads it. */
  drop(kind: ActorKind, id: string): void {
    const map = kind === "conversation" ? this.conversations : this.inboxes;
    if (kind === "conversation") this.fenceTokens.delete(id); // the stay ends: a next one takes a newer token
    const slot = map.get(id);
    if (!slot) return;
    map.delete(id);
    slot.actor.dispose();
  }

  /** The actor leaves this host (cluster mode moves it): its sockets are closed, what it accepted
   *  or held behind is written, and the actor is dropped; the next use here would load it anew. */
  async handOver(kind: ActorKind, id: string): Promise<void> {
    const map: Map<string, Slot<ConversationActor | InboxActor>> = kind === "conversation" ? this.conversations : this.inboxes;
    const slot = map.get(id);
    if (!slot) return;
    await slot.actor.handOver();
    if (map.get(id) === slot) map.delete(id);
    if (kind === "conversation") this.fenceTokens.delete(id);
  }

  /** The inboxes in memory with their sockets (cluster mode: where a user connects from). */
  *inboxSockets(): Iterable<[string, Iterable<Connection>]> {
    for (const [id, slot] of this.inboxes) yield [id, slot.actor.sockets];
  }

  // ---- ActorMesh: in-process, so delivery is a method call.
  notifyInbox(userId: string, update: InboxUpdate): void {
    this.inbox(userId).apply(update).catch((e) => console.error(`[mesh] inbox ${userId} update failed`, e));
  }

  syncInbox(userId: string, update: InboxUpdate): Promise<void> {
    return this.inbox(userId).apply({ ...update, durable: true });
  }

  ring(userId: string, notice: RingNotice): void {
    const inbox = this.inbox(userId);
    inbox.ready().then(() => inbox.ring(notice), () => {});
  }

  presenceChanged(toUserId: string, presence: Presence): void {
    // An inbox that is not loaded has no sockets to tell.
    this.inboxes.get(toUserId)?.actor.presenceChanged(presence);
  }

  presenceOf(userIds: string[]): Promise<Presence[]> {
    return Promise.all(userIds.map((u) => this.inbox(u).presence()));
  }

  /** Evicts `slot` if it is still the one for `id`, idle, and its conversation does not exist. */
  private dropIfAbsent(id: string, slot: Slot<ConversationActor>): boolean {
    if (this.conversations.get(id) !== slot || !slot.loaded || slot.actor.exists() || !slot.actor.idle()) return false;
    slot.actor.dispose();
    this.conversations.delete(id);
    this.fenceTokens.delete(id);
    this.opts.onEvict?.("conversation", id);
    return true;
  }

  private evictIdle(): void {
    const cutoff = Date.now() - EVICT_AFTER_MS;
    // Absent ones left behind by a failed create (not idle at the first check) go here.
    const absentCutoff = Date.now() - EVICT_ABSENT_AFTER_MS;
    for (const [id, slot] of this.conversations) {
      if (slot.used < absentCutoff && this.dropIfAbsent(id, slot)) continue;
      if (slot.used < cutoff && slot.actor.idle()) {
        slot.actor.dispose();
        this.conversations.delete(id);
        this.fenceTokens.delete(id);
        this.opts.onEvict?.("conversation", id);
      }
    }
    for (const [id, slot] of this.inboxes)
      if (slot.used < cutoff && slot.actor.idle()) {
        this.inboxes.delete(id);
        this.opts.onEvict?.("inbox", id);
      }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    // Conversations first: closing them may send the last inbox summaries.
    await Promise.all([...this.conversations.values()].map((s) => s.actor.close()));
    await Promise.all([...this.inboxes.values()].map((s) => s.actor.close()));
    await SearchIndexer.for(this.sql).stop();
  }

  get stats() {
    return { conversations: this.conversations.size, inboxes: this.inboxes.size };
  }
}
