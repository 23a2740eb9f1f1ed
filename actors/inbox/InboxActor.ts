/**
 * A user's inbox actor: their conversation list (ordered by activity, with unread counts), their
 * presence and last seen, their contacts' presence, and incoming call rings. Conversations push
 * summaries here after each commit; the inbox pushes them on to the user's inbox sockets.
 */
import { errorFrame, frame, pongFrame } from "../../protocol/serverFrames.ts";
import {
  CloseCodes, defaultLimits, defaultNotifySettings, InboxClientFrame, NexusError, withConversationNotify, withDnd,
  type ConversationNotifyBody, type ConversationSummary, type DndBody, type NotifySettings, type Presence, type PresenceStatus, type PushSubscriptionBody,
} from "../../protocol/index.ts";
import type { InboxApi, InboxMeshApi } from "../api.ts";
import type { ActorMesh, Caller, Clock, Connection, InboxUpdate, RingNotice, SessionEnd, SocketActor } from "../ports.ts";
import { socketStats } from "../socketStats.ts";
import { audienceOf, visibleTo } from "./contacts.ts";
import { SocketBuckets } from "../frameRate.ts";
import type { ChosenStatus, SqlInboxStore } from "../storage/sqlInboxStore.ts";
import { alertOffline, type PushSender } from "./pushAlerts.ts";
import { PendingUploads, type PendingUpload } from "./pendingUploads.ts";
import { InboxWriteBehind } from "./inboxWriteBehind.ts";
import { mayHaveDiverged } from "../storage/sql.ts";

export interface InboxDeps {
  store: SqlInboxStore;
  clock: Clock;
  mesh: ActorMesh;
  /** A socket whose unsent data passes this is closed with 4008 (limits.maxSocketBufferBytes). */
  maxSocketBufferBytes?: number;
  /** limits.presencePerSecond: presence frames per socket (each may reach every contact). */
  presencePerSecond?: number;
  /** Web Push to the user's devices while none has a socket open; absent: no push (./pushAlerts.ts). */
  push?: PushSender;
  /** Cluster mode: storage may hold what this instance does not know (a newer owner's fence refused
   *  its write: storage/inboxWriterFence.ts). It has stopped writing and closed its sockets; the host
   *  forgets it, and the next use loads the inbox anew. Absent: a failed write is retried. */
  onDiverged?: () => void;
}

/** Invalid frames a socket may send before it is closed (4009): the conversation socket's rule
 *  (actors/conversation/socketSession.ts), so a broken or hostile client cannot keep us answering. */
const MAX_BAD_FRAMES = 20;
const MAX_CONTACTS = 500;
/** Push subscriptions (devices) per user: past this the oldest is dropped. */
const MAX_PUSH_SUBSCRIPTIONS = 20;

export class InboxActor implements InboxApi, InboxMeshApi, SocketActor {
  private rows = new Map<string, ConversationSummary>();
  private conns = new Set<Connection>();
  /** Sockets this actor closed as slow consumers: frames still arriving from them are ignored (a
   *  presence frame would otherwise announce a user who has no socket left). */
  private readonly dropped = new WeakSet<Connection>();
  /** Invalid frames received per socket. */
  private readonly badFrames = new WeakMap<Connection, number>();
  private status: PresenceStatus = "offline";
  private lastSeen: number | null = null;
  /** What the user last chose while connected (online / away), stored: sockets restored after a
   *  hibernation get it back; a socket opened while offline starts online again. */
  private chosen: ChosenStatus = "online";
  private loaded: Promise<void> | null = null;
  /** Notification settings (protocol/notify.ts): primary state, stored before a change is answered. */
  private notify: NotifySettings = defaultNotifySettings();
  /** lastSeq at which each conversation was left: older summaries arriving late must not restore it. */
  private leftAt = new Map<string, number>();
  private readonly rates: SocketBuckets<"presence">;
  /** Summaries, last seen and chosen status, written behind (./inboxWriteBehind.ts). */
  private readonly writes: InboxWriteBehind;
  /** Refused by a newer writer (see InboxDeps.onDiverged): it writes nothing any more. */
  private diverged = false;
  /** apply() calls under way: a hand-over waits for them, so what they applied is in its last write. */
  private applying = 0;

  /** The user's uploads not yet sent in a message (./pendingUploads.ts). */
  private readonly uploads: PendingUploads;

  constructor(readonly userId: string, private readonly deps: InboxDeps) {
    this.uploads = new PendingUploads(deps.store, userId, () => deps.clock.now());
    this.writes = new InboxWriteBehind(deps.store, deps.clock, {
      userId, row: (id) => this.rows.get(id), lastSeen: () => this.lastSeen, chosen: () => this.chosen,
      failedForGood: (e) => this.divergedBy(e),
    });
    this.rates = new SocketBuckets({ presence: deps.presencePerSecond ?? defaultLimits.presencePerSecond }, () => deps.clock.now());
  }

  ready(): Promise<void> {
    // A failed load is forgotten, so the next call retries instead of failing forever.
    return (this.loaded ??= this.deps.store.load().then(({ rows, lastSeen, chosen, notify }) => {
      for (const r of rows) this.rows.set(r.id, r);
      this.lastSeen = lastSeen;
      this.chosen = chosen;
      this.notify = notify;
    }, (e) => {
      this.loaded = null;
      throw e;
    }));
  }

  async list(caller: Caller): Promise<ConversationSummary[]> {
    if (caller.userId !== this.userId) throw new NexusError("forbidden", "not your inbox");
    await this.ready();
    return this.sorted();
  }

  async presence(): Promise<Presence> {
    await this.ready();
    return { userId: this.userId, status: this.status, lastSeen: this.lastSeen };
  }

  /** The user changed their profile: their presence goes out again with `profile` stamped, to the
   *  contacts who see it and to their own other screens, which re-read the profile at once. */
  async profileChanged(caller: Caller): Promise<void> {
    this.own(caller);
    const p: Presence = { ...(await this.presence()), profile: this.deps.clock.now() };
    for (const userId of [this.userId, ...this.contacts()]) this.deps.mesh.presenceChanged(userId, p);
  }

  private sorted(): ConversationSummary[] {
    return [...this.rows.values()].sort((a, b) => b.lastTs - a.lastTs);
  }

  /** Who hears this user's presence (the rule: ./contacts.ts). */
  private contacts(): string[] {
    return audienceOf(this.userId, this.rows.values(), MAX_CONTACTS);
  }

  // ------------------------------------------------------------ notification settings and push

  private own(caller: Caller): void {
    if (caller.userId !== this.userId) throw new NexusError("forbidden", "not your inbox");
  }

  async notifySettings(caller: Caller): Promise<NotifySettings> {
    this.own(caller);
    await this.ready();
    return this.notify;
  }

  async setConversationNotify(caller: Caller, conversationId: string, body: ConversationNotifyBody): Promise<NotifySettings> {
    this.own(caller);
    await this.ready();
    if (!this.rows.has(conversationId)) throw new NexusError("not_found", "no such conversation in your list");
    return this.storeNotify(withConversationNotify(this.notify, conversationId, body, this.deps.clock.now()));
  }

  async setDnd(caller: Caller, body: DndBody): Promise<NotifySettings> {
    this.own(caller);
    await this.ready();
    return this.storeNotify(withDnd(this.notify, body, this.deps.clock.now()));
  }

  /** Stored first, then kept and sent to every device: an answered change is never lost. */
  private async storeNotify(next: NotifySettings): Promise<NotifySettings> {
    await this.stored(this.deps.store.saveNotify(next));
    this.notify = next;
    this.push(frame("notify", { settings: next }));
    return next;
  }

  async addPushSubscription(caller: Caller, sub: PushSubscriptionBody): Promise<void> {
    this.own(caller);
    await this.ready(); // a copy moved to another region refuses (its load says where it went)
    const subs = await this.deps.store.pushSubscriptions();
    if (!subs.some((s) => s.endpoint === sub.endpoint) && subs.length >= MAX_PUSH_SUBSCRIPTIONS)
      await this.stored(this.deps.store.removePushSubscription(subs[0]!.endpoint));
    await this.stored(this.deps.store.addPushSubscription(sub, this.deps.clock.now()));
    this.hasPush = true;
  }

  async removePushSubscription(caller: Caller, endpoint: string): Promise<void> {
    this.own(caller);
    await this.ready();
    await this.stored(this.deps.store.removePushSubscription(endpoint));
    this.hasPush = undefined;
  }

  async pushSubscriptions(caller: Caller): Promise<string[]> {
    this.own(caller);
    await this.ready();
    return (await this.deps.store.pushSubscriptions()).map((s) => s.endpoint);
  }

  async kick(caller: Caller, end?: SessionEnd | null): Promise<void> {
    // The user themselves too: a password change, a logout or an account deletion ends their sessions.
    if (!caller.admin && caller.userId !== this.userId) throw new NexusError("forbidden", "admin role required");
    for (const c of [...this.conns]) {
      if (!end) c.close(CloseCodes.forbidden, "account locked");
      else if (end.session == null || c.session === end.session) c.close(CloseCodes.signedOut, "signed out");
    }
  }

  async reserveUpload(caller: Caller, upload: PendingUpload, capBytes: number): Promise<void> {
    if (caller.userId !== this.userId) throw new NexusError("forbidden", "not your uploads");
    await this.ready();
    await this.stored(this.uploads.reserve(upload, capBytes));
  }

  // ------------------------------------------------------------ from conversations and contacts

  async apply(update: InboxUpdate): Promise<void> {
    this.applying++;
    try {
      await this.ready();
      // Not releasing only keeps them counted until they expire: the summary still applies.
      if (update.sentUploads)
        await this.stored(this.uploads.release(update.summary.id, update.sentUploads))
          .catch((e) => console.error(`[inbox ${this.userId}] pending uploads not released`, e));
      this.applyInMemory(update);
      if (!update.durable) return this.writes.soon();
      await this.writes.now();
    } finally {
      this.applying--;
    }
  }

  private applyInMemory(update: InboxUpdate): void {
    const c = update.summary;
    const old = this.rows.get(c.id);
    if (old && old.lastSeq > c.lastSeq) return; // stale, arrived out of order (a removal too: re-added since)
    if (update.removed) {
      this.leftAt.set(c.id, Math.max(this.leftAt.get(c.id) ?? 0, c.lastSeq));
      if (!this.rows.delete(c.id)) return;
      this.writes.removedRow(c.id);
      if (this.conns.size > 0) this.push(frame("removed", { conversationId: c.id }));
    } else {
      if ((this.leftAt.get(c.id) ?? -1) >= c.lastSeq) return; // from before the removal
      this.leftAt.delete(c.id);
      // First write or read here: this user now shows their presence to the others in it
      // (./contacts.ts), who would otherwise learn it only at their next change.
      const joinedIn = (old?.readSeq ?? 0) <= 0 && c.readSeq > 0;
      this.rows.set(c.id, c);
      this.writes.changed(c.id);
      if (this.conns.size === 0 && this.deps.push && this.hasPush !== false) void this.alertOffline(old, c);
      if (this.conns.size > 0) this.push(frame("conv", { c }));
      if (joinedIn) {
        const p: Presence = { userId: this.userId, status: this.status, lastSeen: this.lastSeen };
        for (const m of c.members) if (m.userId !== this.userId) this.deps.mesh.presenceChanged(m.userId, p);
      }
    }
  }

  /** Whether this user has push subscriptions: read once, not once per message to an offline user
   *  (at everyday load that was a storage read for most messages, #21); unknown again after one is
   *  removed. */
  private hasPush: boolean | undefined;

  private async alertOffline(old: ConversationSummary | undefined, c: ConversationSummary): Promise<void> {
    if (this.hasPush === undefined) {
      const has = (await this.deps.store.pushSubscriptions().catch(() => [null])).length > 0;
      this.hasPush ??= has; // one added or removed meanwhile decided already
    }
    if (!this.hasPush || !this.deps.push) return;
    const outcomes = await alertOffline({ userId: this.userId, settings: this.notify, now: this.deps.clock.now(), sender: this.deps.push, store: this.deps.store, old, c });
    if (outcomes.includes("gone")) this.hasPush = undefined;
  }

  ring(notice: RingNotice): void {
    this.push(frame("call", { ...notice.signal, from: notice.from, conversationId: notice.conversationId }));
  }

  presenceChanged(p: Presence): void {
    this.push(frame("presence", { p }));
  }

  // ------------------------------------------------------------ sockets

  /** Its open sockets (a cluster's automatic moves follow where they connect from). */
  get sockets(): Iterable<Connection> {
    return this.conns.values();
  }

  async connect(conn: Connection): Promise<void> {
    if (conn.userId !== this.userId) return conn.close(CloseCodes.forbidden, "not your inbox");
    await this.ready();
    this.conns.add(conn);
    if (this.status === "offline") {
      this.choose("online");
      this.setStatus("online");
    }
    const presence = await this.deps.mesh.presenceOf(visibleTo(this.userId, this.rows.values(), MAX_CONTACTS)).catch(() => []);
    const flow = conn.ackChars ? { ackChars: conn.ackChars } : undefined;
    conn.send(frame("inbox", { conversations: this.sorted(), presence, flow, notify: this.notify }));
  }

  /** A socket that stayed open while the object slept (called after `ready`). */
  restore(conn: Connection): void {
    this.conns.add(conn);
    if (this.status === "offline") this.status = this.chosen;
  }

  async receive(conn: Connection, raw: string): Promise<void> {
    if (this.dropped.has(conn)) return;
    let frame: InboxClientFrame;
    try {
      frame = InboxClientFrame.parse(JSON.parse(raw));
    } catch {
      conn.send(errorFrame("bad_request", "invalid inbox frame (presence, ping or received)"));
      const bad = (this.badFrames.get(conn) ?? 0) + 1;
      this.badFrames.set(conn, bad);
      if (bad > MAX_BAD_FRAMES) conn.close(CloseCodes.policy, "too many invalid frames");
      return;
    }
    if (frame.t === "ping") conn.send(pongFrame(this.deps.clock.now()));
    else if (frame.t === "received") conn.received?.(frame.chars);
    else if (this.rates.take(conn, "presence")) {
      this.choose(frame.status);
      if (frame.status !== this.status) this.setStatus(frame.status);
    }
  }

  private choose(status: ChosenStatus): void {
    if (status === this.chosen) return;
    this.chosen = status;
    this.writes.chosenChanged();
    this.writes.soon();
  }

  disconnect(conn: Connection): void {
    if (!this.conns.delete(conn) || this.conns.size > 0) return;
    this.lastSeen = this.deps.clock.now();
    this.writes.seenChanged();
    this.setStatus("offline");
    this.writes.soon();
  }

  private setStatus(status: PresenceStatus): void {
    this.status = status;
    const p: Presence = { userId: this.userId, status, lastSeen: this.lastSeen };
    for (const contact of this.contacts()) this.deps.mesh.presenceChanged(contact, p);
  }

  /** A socket that stopped reading is closed (it reconnects and gets the whole list again) rather
   *  than holding every summary of every busy conversation in memory. */
  private push(frame: string): void {
    const max = this.deps.maxSocketBufferBytes ?? defaultLimits.maxSocketBufferBytes;
    for (const c of this.conns) {
      if (c.buffered() > max) {
        this.disconnect(c); // the host's own disconnect for it is then a no-op
        this.dropped.add(c);
        socketStats.slowConsumerDrops++;
        c.close(CloseCodes.slowConsumer, "slow consumer: reconnect");
        continue;
      }
      c.send(frame);
    }
  }

  // ------------------------------------------------------------ storage

  /** A write of what the user is answered for (a setting, a subscription, an upload): refused by a
   *  newer writer, the actor stops and the caller is told to retry (the next try loads anew). */
  private async stored<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } catch (e) {
      if (this.divergedBy(e)) throw new NexusError("storage_unavailable", "your inbox was being reloaded; retry");
      throw e;
    }
  }

  /** After a failed write: must this instance stop (see InboxDeps.onDiverged)? It does so once:
   *  closes its sockets (clients reconnect to a fresh instance) and tells its host. */
  private divergedBy(e: unknown): boolean {
    if (!this.deps.onDiverged || !mayHaveDiverged(e)) return false;
    if (this.diverged) return true;
    this.diverged = true;
    console.error(`[inbox ${this.userId}] a write was refused (a newer owner wrote, or its outcome is unknown): reloading`, e);
    const conns = [...this.conns];
    this.conns.clear();
    for (const c of conns) c.close(CloseCodes.goingAway, "reloading the inbox");
    this.deps.onDiverged();
    return true;
  }

  idle(): boolean {
    return this.conns.size === 0 && this.writes.idle();
  }

  /** Its home moves to another region: sockets closed (clients reconnect to the new home), what it
   *  held behind written before the copy is read, and nothing written after (a late socket close
   *  would retry a write the fence refuses for ever). A failed write fails the move: it serves on. */
  async handOver(): Promise<void> {
    this.writes.pauseForHandOver();
    const conns = [...this.conns];
    this.conns.clear();
    for (const c of conns) c.close(CloseCodes.restart, "moved");
    while (this.applying > 0) await new Promise<void>((r) => this.deps.clock.schedule(5, r));
    await this.writes.handOverWrite();
  }

  /** Forgotten by its host without a flush (what it holds may be older than storage): it writes
   *  nothing any more, so a later instance's first write is not refused because of it. */
  dispose(): void {
    this.writes.stop();
  }

  /** Flush pending writes (host shutdown). */
  async close(): Promise<void> {
    await this.writes.now().catch(() => {}); // logged by writeDirty; the inbox is derived state
  }
}
