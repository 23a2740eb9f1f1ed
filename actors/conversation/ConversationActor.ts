/**
 * The conversation actor: the single writer of one conversation. It alone assigns `seq`, commits
 * events (group-committed through a serialized flush), and only after the commit acks the sender and
 * fans out to members' sockets and inboxes. Runtime-free: storage, clock, ids and the mesh are injected.
 *
 * The write path is commitPipeline.ts; socket frames socketSession.ts; the rules for each kind of
 * event drafts.ts; what members' inboxes are told inboxNotices.ts. This file holds the operations
 * (who may do what).
 */
import { frame, readFrame } from "../../protocol/serverFrames.ts";
import { CloseCodes, NexusError, type Attachment, type AttachmentRef, type ConversationEvent, type ConversationInfo, type GroupProfileChange,
  type Limits, type Member, type MessageEvent, type MessageSearch, type Role } from "../../protocol/index.ts";
import type { ConversationApi, CreateConversation, HistoryPage, PinInput, SendInput, ThreadPage } from "../api.ts";
import type { Caller, Connection, Resume, SessionEnd, SocketActor } from "../ports.ts";
import { emptyCommit } from "../storage/sqlConversationStore.ts";
import { readOnlyState, stateFromStore } from "./loadState.ts";
import { loadOrStale, StorageOutage } from "./storageOutage.ts";
import { Creation } from "./creation.ts";
import { CommitPipeline } from "./commitPipeline.ts";
import type { ConversationDeps } from "./deps.ts";
import type { Draft } from "./drafts.ts";
import { infoOf, type OpResult, type State } from "./state.ts";
import { conversationCalls, type CallRelay } from "./callRelay.ts";
import { InboxNotices } from "./inboxNotices.ts";
import { RateBuckets } from "./rateBuckets.ts";
import { ReadCursors } from "./readCursors.ts";
import { TypingTracker } from "./typing.ts";
import { Fanout } from "./fanout.ts";
import { ConversationSockets } from "./socketSession.ts";
import { checkText } from "./textRules.ts";
import { recountUnread } from "./unreadRecount.ts";
import { Threads } from "./threads.ts";
import type { SessionHost } from "./sessionHost.ts";
import { profileDraft } from "./groupProfile.ts";

export type { OpResult } from "./state.ts";
export type { ConversationDeps } from "./deps.ts";

export class ConversationActor implements ConversationApi, SessionHost, SocketActor {
  private s: State | null = null;
  private loaded: Promise<void> | null = null;
  private readonly creation: Creation;
  private readonly pipeline: CommitPipeline;
  private readonly reads: ReadCursors;
  private readonly inbox: InboxNotices;
  readonly fanout: Fanout;
  /** Its client sockets' session: welcome and resume, frames in, refusals out (socketSession.ts). */
  private readonly sockets: ConversationSockets;
  readonly typing: TypingTracker;
  readonly calls: CallRelay;
  readonly rate: RateBuckets;
  private readonly threads: Threads;
  /** Read-only while storage is unreachable (storageOutage.ts). */
  private readonly outage: StorageOutage;

  constructor(readonly id: string, readonly deps: ConversationDeps) {
    this.pipeline = new CommitPipeline(this);
    this.reads = new ReadCursors(deps.store, deps.clock);
    this.inbox = new InboxNotices(id, deps.mesh, deps.clock, () => this.s);
    this.creation = new Creation({ id, deps, current: () => this.s, created: (s) => (this.s = s) }, this.inbox);
    this.fanout = new Fanout(deps.limits.maxSocketBufferBytes, `conversation:${id}`, deps.publish);
    this.sockets = new ConversationSockets(this);
    this.threads = new Threads({ id, store: deps.store, current: () => this.s, notify: (u) => this.inbox.notify(u), recent: (seq) => this.pipeline.messages.get(seq) });
    this.outage = new StorageOutage({
      id, deps, fanout: this.fanout, current: () => this.s, drained: () => this.pipeline.drained(),
      stopWrites: () => this.pipeline.stop(), resumeWrites: () => this.pipeline.resume(), diverged: () => this.diverged(),
    });
    this.rate = new RateBuckets(deps.limits.sendsPerSecond, () => deps.clock.now());
    this.typing = new TypingTracker(deps.clock, deps.limits.typingTtlMs, (userId, on) =>
      this.fanout.broadcast(frame("typing", { userId, on }), 0, userId));
    this.calls = conversationCalls(id, deps, this.fanout, (d) => this.pipeline.submit(d));
  }

  get limits(): Limits {
    return this.deps.limits;
  }

  ready(): Promise<void> {
    // A failed load is forgotten, so the next call retries instead of failing forever.
    return (this.loaded ??= this.load().catch((e) => {
      this.loaded = null;
      throw e;
    }));
  }

  private async load(): Promise<void> {
    // Storage unreachable and nobody had this conversation loaded: read-only from the node's
    // replica if it has the conversation (storageOutage.ts), instead of refusing every read.
    const found = await loadOrStale(this.deps.store, !!this.deps.onDiverged);
    if (!found) return;
    const { loaded: l, outage } = found;
    this.pipeline.clientIds.restore(l.recentClientIds, l.clientIdFloor); // resends of stored sends are still acked
    if (outage) {
      // Reads only, reloaded when the primary is back (storageOutage.ts).
      this.s = readOnlyState(l);
      this.pipeline.stop();
      this.outage.reloadWhenBack = true;
      this.outage.begin(outage);
      return;
    }
    const s = await stateFromStore(this.deps.store, l);
    this.s = s;
    await this.threads.load(s); // ready() resolves after this: nobody reads the state before
  }

  // ---------------------------------------------------------------- sockets (see socketSession.ts)

  connect(conn: Connection, resume: Resume = {}): Promise<void> {
    return this.sockets.connect(conn, resume);
  }
  restore(conn: Connection): void {
    this.sockets.restore(conn);
  }
  receive(conn: Connection, raw: string): Promise<void> {
    return this.sockets.receive(conn, raw);
  }
  disconnect(conn: Connection): void {
    this.sockets.disconnect(conn);
  }

  // ---------------------------------------------------------------- queries

  /** The state, for members only (account admins may also look). */
  state(caller: Caller, allowAdmin = false): State {
    if (!this.s) throw new NexusError("not_found", "no such conversation");
    if (!this.s.members.has(caller.userId) && !(allowAdmin && caller.admin)) throw new NexusError("not_member", "not a member of this conversation");
    return this.s;
  }

  isMember(userId: string): boolean {
    return this.s?.members.has(userId) ?? false;
  }

  exists(): boolean {
    return this.s !== null;
  }

  async info(caller: Caller): Promise<ConversationInfo> {
    await this.ready();
    return this.infoOf(this.state(caller));
  }

  infoOf(s: State): ConversationInfo {
    return infoOf(this.id, s);
  }

  async history(caller: Caller, before: number | undefined, limit: number): Promise<HistoryPage> {
    await this.ready();
    this.state(caller);
    const s = this.s!;
    return this.outage.page(() => this.deps.store.page(before, limit, s.lastSeq), before, limit, (seq) => this.pipeline.messages.get(seq));
  }

  /** Replay for a resuming socket: everything after `after` up to `upTo`. */
  replay(after: number, upTo: number): Promise<ConversationEvent[]> {
    return this.outage.replay(() => this.deps.store.range(after, upTo), after, upTo);
  }

  /** Storage is unreachable: history and resume work, writes are refused (storageOutage.ts). */
  get readOnly(): boolean {
    return this.outage.active;
  }

  async search(caller: Caller, q: MessageSearch | string, limit: number): Promise<MessageEvent[]> {
    await this.ready();
    this.state(caller);
    return this.deps.store.search(q, limit);
  }

  /** Threads (threads.ts): a page of one, following it, reading it. */
  async thread(caller: Caller, root: number, after: number | undefined, limit: number): Promise<ThreadPage> {
    return this.ready().then(() => this.state(caller)).then(() => this.threads.page(caller.userId, root, after, limit));
  }
  followThread(caller: Caller, root: number, on: boolean): Promise<void> {
    return this.ready().then(() => this.state(caller)).then(() => this.threads.follow(caller.userId, root, on));
  }
  readThread(caller: Caller, root: number, seq: number): Promise<void> {
    return this.ready().then(() => this.state(caller)).then(() => this.threads.read(caller.userId, root, seq));
  }

  async attachment(caller: Caller, id: string): Promise<Attachment> {
    await this.ready();
    this.state(caller); // members only: moderation (deleting a message) needs no file's bytes
    const [a] = await this.deps.store.attachments([id]);
    if (!a) throw new NexusError("not_found", "no such attachment");
    return a;
  }

  // ---------------------------------------------------------------- commands

  async create(caller: Caller, init: CreateConversation): Promise<ConversationInfo> {
    await this.ready();
    return this.creation.create(caller, init);
  }

  async send(caller: Caller, input: SendInput, conn?: Connection): Promise<OpResult> {
    await this.ready();
    return this.pipeline.submit(this.messageDraft(caller, input), conn, input.base);
  }

  /** A `send` frame from a loaded actor's socket: checked now (a refusal throws), then queued
   *  without a promise per send; the event itself is the socket's answer, a later refusal
   *  (e.g. a failed commit) goes to `refused`. */
  sendFromSocket(caller: Caller, input: SendInput, conn: Connection, refused: (e: unknown) => void): void {
    this.pipeline.enqueue(this.messageDraft(caller, input), conn, input.base, refused);
  }

  private messageDraft(caller: Caller, input: SendInput): Draft {
    this.state(caller);
    checkText(input.text, this.deps.limits.maxTextLength, (input.attachments?.length ?? 0) > 0);
    this.checkRate(caller.userId, input.clientId);
    if ((input.attachments?.length ?? 0) > this.deps.limits.maxAttachmentsPerMessage) throw new NexusError("bad_request", "too many attachments");
    return { kind: "message", author: caller.userId, clientId: input.clientId, text: input.text, replyTo: input.replyTo, threadRoot: input.threadRoot,
      attachments: input.attachments, mentions: input.mentions };
  }

  async edit(caller: Caller, clientId: string, target: number, text: string, conn?: Connection, base?: number): Promise<OpResult> {
    await this.ready();
    this.state(caller);
    checkText(text, this.deps.limits.maxTextLength, false);
    this.checkRate(caller.userId, clientId);
    return this.pipeline.submit({ kind: "edit", author: caller.userId, clientId, target, text }, conn, base);
  }

  async deleteMessage(caller: Caller, target: number, clientId: string, conn?: Connection, base?: number): Promise<{ seq: number }> {
    await this.ready();
    this.state(caller, true);
    this.checkRate(caller.userId, clientId);
    return this.pipeline.submit({ kind: "delete", author: caller.userId, clientId, target, accountAdmin: caller.admin === true }, conn, base);
  }

  async react(caller: Caller, clientId: string, target: number, emoji: string, on: boolean, conn?: Connection, base?: number): Promise<OpResult> {
    await this.ready();
    this.state(caller);
    this.checkRate(caller.userId, clientId);
    return this.pipeline.submit({ kind: "reaction", author: caller.userId, clientId, target, emoji, on }, conn, base);
  }

  /** Pin or unpin a message (drafts.ts has who may). */
  async pin(caller: Caller, input: PinInput, conn?: Connection): Promise<OpResult> {
    await this.ready();
    this.state(caller);
    this.checkRate(caller.userId, input.clientId);
    return this.pipeline.submit({ kind: "pin", author: caller.userId, clientId: input.clientId, target: input.target, on: input.on }, conn, input.base);
  }

  /** The pinned messages, newest first; members only. */
  async pins(caller: Caller): Promise<MessageEvent[]> {
    await this.ready();
    this.state(caller);
    return this.deps.store.pins();
  }

  async rename(caller: Caller, title: string): Promise<{ seq: number }> {
    await this.ready();
    this.state(caller);
    return this.pipeline.submit({ kind: "rename", author: caller.userId, title });
  }

  /** The group's picture or description (groupProfile.ts has who may). */
  async setGroupProfile(caller: Caller, change: GroupProfileChange): Promise<{ seq: number }> {
    await this.ready();
    this.state(caller);
    return this.pipeline.submit(profileDraft(caller.userId, change));
  }

  async addMember(caller: Caller, member: Member): Promise<{ seq: number }> {
    await this.ready();
    this.state(caller);
    const r = await this.pipeline.submit({ kind: "member", author: caller.userId, userId: member.userId, username: member.username, action: "add", role: member.role });
    await this.inbox.syncMember(member.userId, false);
    return r;
  }

  async removeMember(caller: Caller, userId: string): Promise<{ seq: number }> {
    await this.ready();
    this.state(caller);
    const action = userId === caller.userId ? "leave" : "remove";
    const r = await this.pipeline.submit({ kind: "member", author: caller.userId, userId, username: "", action });
    await this.inbox.syncMember(userId, true);
    return r;
  }

  async setRole(caller: Caller, userId: string, role: Role): Promise<{ seq: number }> {
    await this.ready();
    this.state(caller);
    return this.pipeline.submit({ kind: "member", author: caller.userId, userId, username: "", action: "role", role });
  }

  async addAttachment(caller: Caller, ref: AttachmentRef): Promise<Attachment> {
    await this.ready();
    this.state(caller);
    const a: Attachment = { ...ref, conversationId: this.id, uploadedBy: caller.userId, createdAt: this.deps.clock.now() };
    await this.deps.store.commit({ ...emptyCommit(), attachments: [a] });
    return a;
  }

  async kick(caller: Caller, userId: string, end?: SessionEnd | null): Promise<void> {
    // The user themselves too: a password change, a logout or an account deletion ends their sessions.
    if (!caller.admin && caller.userId !== userId) throw new NexusError("forbidden", "admin role required");
    if (end) this.fanout.closeUser(userId, CloseCodes.signedOut, "signed out", end.session ?? undefined);
    else this.fanout.closeUser(userId, CloseCodes.forbidden, "account locked");
  }

  /** Move a member's read cursor forward (never back); others see a `read` frame. */
  async markRead(userId: string, seq: number): Promise<void> {
    const s = this.s;
    const m = s?.members.get(userId);
    if (!s || !m) return;
    const to = Math.min(seq, s.lastSeq);
    if (to <= m.readSeq) return;
    m.readSeq = to;
    this.readMoved(userId, to);
    this.fanout.broadcast(readFrame(userId, to), 0);
    // Loaded from a replica while storage is unreachable: that state has no counts (readOnlyState),
    // and a recount would retry against the unreachable primary every second. The cursor is kept and
    // stored when the actor reloads, which counts afresh.
    if (this.outage.reloadWhenBack) return;
    const { store, clock } = this.deps;
    await recountUnread({ id: this.id, store, clock, pipeline: this.pipeline, recounted: (u) => this.inbox.notify(u) }, s, userId, to);
  }

  /** Read cursors are stored behind (readCursors.ts). */
  readMoved(userId: string, seq: number): void {
    this.reads.moved(userId, seq);
  }

  /** A resend of a stored clientId is answered from the cache and must not count as a new send
   *  (an outbox flushing after a reconnect would otherwise be rate limited). */
  private checkRate(userId: string, clientId?: string): void {
    if (clientId !== undefined && this.pipeline.knows(userId, clientId)) return;
    if (!this.rate.take(userId)) throw new NexusError("rate_limited", `more than ${this.deps.limits.sendsPerSecond} sends per second`);
  }

  // ---------------------------------------------------------------- pipeline host (commitPipeline.ts)

  current(): State | null {
    return this.s;
  }

  committed(s: State, removed: string[]): void {
    this.inbox.committed(s, removed);
  }

  /** The commit pipeline found storage may hold what this actor does not know (see onDiverged). */
  diverged(): void {
    this.fanout.closeAll(CloseCodes.goingAway, "reloading the conversation");
    void this.close().catch(() => {}); // read cursors and inbox summaries held behind
    this.deps.onDiverged!();
  }

  storageLost(reason: unknown): void {
    this.outage.begin(reason);
  }

  appended(events: ConversationEvent[]): void {
    for (const e of events) {
      this.outage.tail.push(e);
      if (e.kind === "message" && e.attachments?.length) this.inbox.uploadsSent(e.author, e.attachments.map((a) => a.id));
    }
    this.threads.appended(events);
  }

  /** No sockets, nothing queued or pending: the host may evict this actor. */
  idle(): boolean {
    return this.fanout.size === 0 && !this.pipeline.busy && !this.reads.pending &&
      !this.creation.busy && !this.inbox.pending && !this.calls.active;
  }

  /**
   * Hand the conversation over to another host (cluster mode moves it to another region). Every
   * socket is closed with `restart`, so clients reconnect and resume at the new home; this resolves
   * once nothing is left to commit and what is held behind is written. The host must route no more
   * writes here first: what it already accepted is committed before this resolves.
   */
  async handOver(): Promise<void> {
    this.fanout.closeAll(CloseCodes.restart, "moved");
    while (this.pipeline.busy || this.creation.busy) await new Promise<void>((r) => this.deps.clock.schedule(5, r));
    await this.close();
  }

  /** Host shutdown: write what is held behind (read cursors, inbox summaries). */
  async close(): Promise<void> {
    this.inbox.flush();
    await this.reads.flushNow();
    this.dispose();
  }

  dispose(): void {
    this.outage.dispose();
    this.typing.dispose();
    this.calls.dispose();
    this.reads.dispose();
    this.inbox.dispose();
  }
}
