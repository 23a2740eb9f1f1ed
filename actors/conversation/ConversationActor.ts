/**
 * The conversation actor: the single writer of one conversation. It alone assigns `seq`, commits
 * events (group-committed through a serialized flush), and only after the commit acks the sender and
 * fans out to members' sockets and inboxes. Runtime-free: storage, clock, ids and the mesh are injected.
 *
 * Socket frames are handled in socketSession.ts; the rules for each kind of event in drafts.ts.
 */
import {
  CloseCodes,
  NexusError,
  type Attachment,
  type AttachmentRef,
  type ConversationEvent,
  type ConversationInfo,
  type ConversationSummary,
  type Limits,
  type Member,
  type MessageEvent,
  type Role,
} from "../../protocol/index.ts";
import type { ConversationApi, CreateConversation, HistoryPage, SendInput } from "../api.ts";
import type { ActorMesh, Caller, Clock, Connection, Ids, InboxUpdate, Publisher } from "../driver.ts";
import { LruMap } from "../lruMap.ts";
import { emptyCommit, type SqlConversationStore } from "../storage/sqlConversationStore.ts";
import { applyDraft, type Draft, type MemberState, type Working } from "./drafts.ts";
import { CallRelay } from "./callRelay.ts";
import { RateBuckets } from "./rateBuckets.ts";
import { TypingTracker } from "./typing.ts";
import { Fanout } from "./fanout.ts";
import { connectSocket, disconnectSocket, receiveFrame, restoreSocket } from "./socketSession.ts";

export interface ConversationDeps {
  store: SqlConversationStore;
  clock: Clock;
  ids: Ids;
  mesh: ActorMesh;
  limits: Limits;
  /** The host's native pub/sub, when it has one. */
  publish?: Publisher;
}

export interface OpResult {
  seq: number;
  ts: number;
  duplicate: boolean;
}

interface Op {
  draft: Draft;
  conn?: Connection;
  resolve(r: OpResult): void;
  reject(e: unknown): void;
}

interface State {
  type: "direct" | "group";
  title: string;
  epoch: string;
  members: Map<string, MemberState>;
  lastSeq: number;
  lastTs: number;
  lastMessage: MessageEvent | null;
  unread: Map<string, number>;
}

const idemKey = (author: string, clientId: string) => author + "\u0000" + clientId;
/** The unique (conv_id, author, client_id) index refused an insert: a resend older than the cache. */
const isClientIdConflict = (e: unknown) => /UNIQUE constraint failed: events\.conv_id, events\.author, events\.client_id/.test(String((e as Error)?.message ?? e));
const PREVIEW_CHARS = 140;
const SUMMARY_MEMBERS = 50;
const INBOX_COALESCE_MS = 50;

export class ConversationActor implements ConversationApi {
  private s: State | null = null;
  private loaded: Promise<void> | null = null;
  private creating: Promise<unknown> | null = null;
  private queue: Op[] = [];
  private flushing = false;
  private readonly clientIds = new LruMap<string, [number, number]>(5000);
  private readonly messages = new LruMap<number, MessageEvent>(500);
  private readonly readsDirty = new Map<string, number>();
  private cancelReadsFlush: (() => void) | null = null;
  private cancelInboxNotify: (() => void) | null = null;
  readonly fanout: Fanout;
  readonly typing: TypingTracker;
  readonly calls: CallRelay;
  readonly rate: RateBuckets;

  constructor(readonly id: string, private readonly deps: ConversationDeps) {
    this.fanout = new Fanout(deps.limits.maxSocketBufferBytes, `conversation:${id}`, deps.publish);
    this.rate = new RateBuckets(deps.limits.sendsPerSecond, () => deps.clock.now());
    this.typing = new TypingTracker(deps.clock, deps.limits.typingTtlMs, (userId, on) =>
      this.fanout.broadcast(JSON.stringify({ t: "typing", userId, on }), 0, userId));
    this.calls = new CallRelay(deps.clock, {
      relay: (to, from, signal) => this.fanout.toUser(to, JSON.stringify({ ...signal, from, conversationId: id })),
      ring: (to, from, signal) => deps.mesh.ring(to, { conversationId: id, from, signal }),
      log: (c) => void this.submit({ kind: "call", author: c.caller, callId: c.callId, media: c.media, outcome: c.outcome, durationMs: c.durationMs }).catch(() => {}),
    });
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
    const l = await this.deps.store.load();
    if (!l) return;
    const members = new Map(l.members.map((m) => [m.userId, { ...m }]));
    const unread = new Map<string, number>();
    for (const m of l.members) unread.set(m.userId, await this.deps.store.countUnread(m.userId, m.readSeq));
    for (const [k, seq, ts] of l.recentClientIds.reverse()) this.clientIds.set(k, [seq, ts]);
    this.s = { type: l.type, title: l.title, epoch: l.epoch, members, lastSeq: l.lastSeq, lastTs: l.lastTs, lastMessage: l.lastMessage, unread };
  }

  // ---------------------------------------------------------------- sockets (see socketSession.ts)

  connect(conn: Connection, resume: { after?: number; epoch?: string }): Promise<void> {
    return connectSocket(this, conn, resume);
  }
  restore(conn: Connection): void {
    restoreSocket(this, conn);
  }
  receive(conn: Connection, raw: string): Promise<void> {
    return receiveFrame(this, conn, raw);
  }
  disconnect(conn: Connection): void {
    disconnectSocket(this, conn);
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
    const members: Member[] = [];
    const reads: Record<string, number> = {};
    for (const m of s.members.values()) {
      members.push({ userId: m.userId, username: m.username, role: m.role });
      reads[m.userId] = m.readSeq;
    }
    return { id: this.id, type: s.type, title: s.title, members, epoch: s.epoch, lastSeq: s.lastSeq, reads };
  }

  async history(caller: Caller, before: number | undefined, limit: number): Promise<HistoryPage> {
    await this.ready();
    this.state(caller);
    return this.deps.store.page(before, limit);
  }

  /** Replay for a resuming socket: everything after `after` up to `upTo`. */
  replay(after: number, upTo: number): Promise<ConversationEvent[]> {
    return this.deps.store.range(after, upTo);
  }

  async search(caller: Caller, q: string, limit: number): Promise<ConversationEvent[]> {
    await this.ready();
    this.state(caller);
    return this.deps.store.search(q, limit);
  }

  async attachment(caller: Caller, id: string): Promise<Attachment> {
    await this.ready();
    this.state(caller, true);
    const [a] = await this.deps.store.attachments([id]);
    if (!a) throw new NexusError("not_found", "no such attachment");
    return a;
  }

  // ---------------------------------------------------------------- commands

  async create(caller: Caller, init: CreateConversation): Promise<ConversationInfo> {
    await this.ready();
    while (this.creating) await this.creating.catch(() => {});
    if (this.s) {
      // Creating what exists is a retry (direct ids come from the pair, group ids from a clientId):
      // answer it, and store the caller's inbox row again in case the first attempt could not.
      if (this.s.type === init.type && this.s.members.has(caller.userId)) {
        await this.syncMemberInbox(caller.userId, false);
        return this.infoOf(this.s);
      }
      throw new NexusError("conflict", "conversation already exists");
    }
    const p = this.doCreate(caller, init);
    this.creating = p;
    try {
      return await p;
    } finally {
      this.creating = null;
    }
  }

  private async doCreate(caller: Caller, init: CreateConversation): Promise<ConversationInfo> {
    const unique = new Map(init.members.map((m) => [m.userId, m]));
    if (!unique.has(caller.userId)) throw new NexusError("bad_request", "the creator must be a member");
    if (init.type === "direct" && unique.size !== 2) throw new NexusError("bad_request", "a direct conversation has exactly two members");
    if (unique.size > this.deps.limits.maxGroupMembers) throw new NexusError("bad_request", "too many members");
    const members: Member[] = [...unique.values()].map((m) => ({
      userId: m.userId, username: m.username, role: init.type === "group" && m.userId === caller.userId ? "admin" : "member" }));
    const ts = this.deps.clock.now();
    const epoch = this.deps.ids.random();
    const title = init.type === "group" ? init.title : "";
    const created: ConversationEvent = { seq: 1, ts, author: caller.userId, kind: "created", type: init.type, title, members };
    await this.deps.store.commit({ ...emptyCommit(), create: { type: init.type, title, epoch, ts }, events: [created], memberUpserts: members });
    this.s = { type: init.type, title, epoch, lastSeq: 1, lastTs: ts, lastMessage: null, unread: new Map(members.map((m) => [m.userId, 0])),
      members: new Map(members.map((m) => [m.userId, { ...m, readSeq: 0 }])) };
    const s = this.s;
    const summaryMembers = this.summaryMembers(s);
    await Promise.all(members.map((m) => this.syncInbox(m.userId, { summary: this.summary(s, m.userId, summaryMembers) })));
    return this.infoOf(s);
  }

  async send(caller: Caller, input: SendInput, conn?: Connection): Promise<OpResult> {
    await this.ready();
    this.state(caller);
    this.checkText(input.text, (input.attachments?.length ?? 0) > 0);
    this.checkRate(caller.userId, input.clientId);
    if ((input.attachments?.length ?? 0) > this.deps.limits.maxAttachmentsPerMessage) throw new NexusError("bad_request", "too many attachments");
    return this.submit({ kind: "message", author: caller.userId, clientId: input.clientId, text: input.text, replyTo: input.replyTo, attachments: input.attachments }, conn);
  }

  async edit(caller: Caller, clientId: string, target: number, text: string, conn?: Connection): Promise<OpResult> {
    await this.ready();
    this.state(caller);
    this.checkText(text, false);
    this.checkRate(caller.userId, clientId);
    return this.submit({ kind: "edit", author: caller.userId, clientId, target, text }, conn);
  }

  async deleteMessage(caller: Caller, target: number, clientId: string, conn?: Connection): Promise<{ seq: number }> {
    await this.ready();
    this.state(caller, true);
    this.checkRate(caller.userId, clientId);
    return this.submit({ kind: "delete", author: caller.userId, clientId, target, accountAdmin: caller.admin === true }, conn);
  }

  async react(caller: Caller, clientId: string, target: number, emoji: string, on: boolean, conn?: Connection): Promise<OpResult> {
    await this.ready();
    this.state(caller);
    this.checkRate(caller.userId, clientId);
    return this.submit({ kind: "reaction", author: caller.userId, clientId, target, emoji, on }, conn);
  }

  async rename(caller: Caller, title: string): Promise<{ seq: number }> {
    await this.ready();
    this.state(caller);
    return this.submit({ kind: "rename", author: caller.userId, title });
  }

  async addMember(caller: Caller, member: Member): Promise<{ seq: number }> {
    await this.ready();
    this.state(caller);
    const r = await this.submit({ kind: "member", author: caller.userId, userId: member.userId, username: member.username, action: "add", role: member.role });
    await this.syncMemberInbox(member.userId, false);
    return r;
  }

  /** A joined or left conversation is stored in that user's inbox before the change is confirmed. */
  private async syncMemberInbox(userId: string, removed: boolean): Promise<void> {
    const s = this.s!;
    await this.syncInbox(userId, { summary: this.summary(s, userId, removed ? [] : this.summaryMembers(s)), removed });
  }

  /** Store a membership change in the user's inbox; if that fails the change is not confirmed. */
  private async syncInbox(userId: string, update: InboxUpdate): Promise<void> {
    try {
      await this.deps.mesh.syncInbox(userId, update);
    } catch (e) {
      console.error(`[conversation ${this.id}] inbox ${userId} not stored`, e);
      throw new NexusError("storage_unavailable", "the change is logged but the member's conversation list could not be stored yet");
    }
  }

  async removeMember(caller: Caller, userId: string): Promise<{ seq: number }> {
    await this.ready();
    this.state(caller);
    const action = userId === caller.userId ? "leave" : "remove";
    const r = await this.submit({ kind: "member", author: caller.userId, userId, username: "", action });
    await this.syncMemberInbox(userId, true);
    return r;
  }

  async setRole(caller: Caller, userId: string, role: Role): Promise<{ seq: number }> {
    await this.ready();
    this.state(caller);
    return this.submit({ kind: "member", author: caller.userId, userId, username: "", action: "role", role });
  }

  async addAttachment(caller: Caller, ref: AttachmentRef): Promise<Attachment> {
    await this.ready();
    this.state(caller);
    const a: Attachment = { ...ref, conversationId: this.id, uploadedBy: caller.userId, createdAt: this.deps.clock.now() };
    await this.deps.store.commit({ ...emptyCommit(), attachments: [a] });
    return a;
  }

  async kick(caller: Caller, userId: string): Promise<void> {
    if (!caller.admin) throw new NexusError("forbidden", "admin role required");
    this.fanout.closeUser(userId, CloseCodes.forbidden, "account locked");
  }

  /** Move a member's read cursor forward (never back); others see a `read` frame. */
  async markRead(userId: string, seq: number): Promise<void> {
    const s = this.s;
    const m = s?.members.get(userId);
    if (!s || !m) return;
    const to = Math.min(seq, s.lastSeq);
    if (to <= m.readSeq) return;
    m.readSeq = to;
    this.readsDirty.set(userId, to);
    // Read cursors are written behind (within ~250 ms), not before an ack: they are not messages.
    this.cancelReadsFlush ??= this.deps.clock.schedule(250, () => void this.flushReads());
    this.fanout.broadcast(`{"t":"read","userId":${JSON.stringify(userId)},"seq":${to}}`, 0);
    // Count up to the current seq only; messages committed while the count runs are added to the
    // in-memory count by applyCommitted, so that change is kept on top of the count.
    const upTo = s.lastSeq;
    const before = s.unread.get(userId) ?? 0;
    const n = await this.deps.store.countUnread(userId, to, upTo);
    if (s.members.get(userId)?.readSeq !== to) return; // removed, or a newer read / own send moved the cursor
    s.unread.set(userId, Math.max(0, n + (s.unread.get(userId) ?? 0) - before));
    this.deps.mesh.notifyInbox(userId, { summary: this.summary(s, userId, this.summaryMembers(s)) });
  }

  private async flushReads(): Promise<void> {
    this.cancelReadsFlush = null;
    const reads = [...this.readsDirty];
    this.readsDirty.clear();
    try {
      await this.deps.store.commit({ ...emptyCommit(), reads });
    } catch {
      for (const [u, seq] of reads) if ((this.readsDirty.get(u) ?? 0) < seq) this.readsDirty.set(u, seq);
      this.cancelReadsFlush ??= this.deps.clock.schedule(1000, () => void this.flushReads());
    }
  }

  private checkText(text: string, hasAttachments: boolean): void {
    if (text.length > this.deps.limits.maxTextLength)
      throw new NexusError("payload_too_large", `text is longer than ${this.deps.limits.maxTextLength} characters`);
    if (!hasAttachments && text.trim().length === 0) throw new NexusError("bad_request", "text is empty");
  }

  /** A resend of a stored clientId is answered from the cache and must not count as a new send
   *  (an outbox flushing after a reconnect would otherwise be rate limited). */
  private checkRate(userId: string, clientId?: string): void {
    if (clientId !== undefined && this.clientIds.get(idemKey(userId, clientId))) return;
    if (!this.rate.take(userId)) throw new NexusError("rate_limited", `more than ${this.deps.limits.sendsPerSecond} sends per second`);
  }

  // ---------------------------------------------------------------- the write path

  /** Queue a draft; resolves after it is durable (or with the original seq for a known clientId). */
  submit(draft: Draft, conn?: Connection): Promise<OpResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ draft, conn, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        queueMicrotask(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const ops = this.queue;
        this.queue = [];
        try {
          await this.commitBatch(ops);
        } catch (e) {
          // A read before the commit (clientIds, targets, attachments) failed: settle every op so no
          // caller waits forever; ops already answered ignore this.
          console.error(`[conversation ${this.id}] batch failed`, e);
          for (const op of ops) this.fail(op, new NexusError("storage_unavailable", "could not store the event; retry with the same clientId"));
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /**
   * `checkStore`: look every clientId up in storage first. The fast path does not: recent clientIds
   * are cached, and an older resend is caught by the unique (author, clientId) index, which fails the
   * commit; the batch then runs again with the lookup (nothing was applied in memory yet).
   */
  private async commitBatch(all: Op[], checkStore = false): Promise<void> {
    const s = this.s;
    if (!s) return all.forEach((op) => this.fail(op, new NexusError("not_found", "no such conversation")));
    const ops = await this.dropDuplicates(all, checkStore);
    if (ops.length === 0) return;
    const w: Working = { type: s.type, title: s.title, members: s.members, messages: new Map(), attachments: new Map(), maxGroupMembers: this.deps.limits.maxGroupMembers };
    if (ops.some((o) => o.draft.kind === "member")) w.members = new Map([...s.members].map(([k, v]) => [k, { ...v }]));
    await this.loadTargets(ops, w);
    await this.loadAttachments(ops, w);

    const c = emptyCommit();
    const accepted: Array<{ op: Op; event: ConversationEvent }> = [];
    const ts = this.deps.clock.now();
    let seq = s.lastSeq;
    for (const op of ops) {
      const d = op.draft;
      try {
        const adminDelete = d.kind === "delete" && d.accountAdmin;
        if (!w.members.has(d.author) && !adminDelete && d.kind !== "call") throw new NexusError("not_member", "not a member of this conversation");
        const { event, patch } = applyDraft(w, d, seq + 1, ts);
        seq++;
        c.events.push(event);
        if (patch) c.patches.push(patch);
        if (event.kind === "message") c.reads.push([event.author, event.seq]);
        if (event.kind === "member" && event.action === "add") c.reads.push([event.userId, event.seq]);
        accepted.push({ op, event });
      } catch (e) {
        this.fail(op, e);
      }
    }
    if (accepted.length === 0) return;
    if (w.title !== s.title) c.title = w.title;
    if (w.members !== s.members) {
      for (const [id, m] of w.members) if (s.members.get(id)?.role !== m.role) c.memberUpserts.push(m);
      for (const id of s.members.keys()) if (!w.members.has(id)) c.memberRemovals.push(id);
    }

    try {
      await this.deps.store.commit(c);
    } catch (e) {
      if (!checkStore && isClientIdConflict(e)) return this.commitBatch(accepted.map((a) => a.op), true);
      console.error(`[conversation ${this.id}] commit failed`, e);
      for (const a of accepted) this.fail(a.op, new NexusError("storage_unavailable", "could not store the event; retry with the same clientId"));
      return;
    }
    this.applyCommitted(s, w, accepted);
  }

  /** Answer resends of known clientIds with their original seq; they are not stored again. */
  private async dropDuplicates(ops: Op[], checkStore: boolean): Promise<Op[]> {
    const fresh: Op[] = [];
    const inBatch = new Map<string, Op[]>();
    const unknown: Array<{ author: string; clientId: string }> = [];
    for (const op of ops) {
      const cid = "clientId" in op.draft ? op.draft.clientId : undefined;
      if (!cid) { fresh.push(op); continue; }
      const key = idemKey(op.draft.author, cid);
      const hit = this.clientIds.get(key);
      if (hit) { this.succeed(op, { seq: hit[0], ts: hit[1], duplicate: true }); continue; }
      const twins = inBatch.get(key);
      if (twins) { twins.push(op); continue; }
      inBatch.set(key, [op]);
      unknown.push({ author: op.draft.author, clientId: cid });
    }
    const stored = checkStore && unknown.length ? await this.deps.store.findClientIds(unknown) : new Map<string, [number, number]>();
    for (const [key, group] of inBatch) {
      const hit = stored.get(key);
      if (hit) {
        this.clientIds.set(key, hit);
        for (const op of group) this.succeed(op, { seq: hit[0], ts: hit[1], duplicate: true });
        continue;
      }
      const [first, ...twins] = group;
      if (twins.length) {
        // A resend while the original is still in flight: answer it with the original's result.
        const orig = { resolve: first!.resolve, reject: first!.reject };
        first!.resolve = (r) => { orig.resolve(r); for (const t of twins) this.succeed(t, { ...r, duplicate: true }); };
        first!.reject = (e) => { orig.reject(e); for (const t of twins) t.reject(e); };
      }
      fresh.push(first!);
    }
    return fresh;
  }

  private async loadTargets(ops: Op[], w: Working): Promise<void> {
    for (const { draft: d } of ops) {
      if (d.kind !== "edit" && d.kind !== "delete" && d.kind !== "reaction") continue;
      if (w.messages.has(d.target)) continue;
      const m = this.messages.get(d.target) ?? (await this.deps.store.getMessage(d.target));
      if (m) w.messages.set(d.target, structuredClone(m));
    }
  }

  private async loadAttachments(ops: Op[], w: Working): Promise<void> {
    const ids = new Set<string>();
    for (const { draft: d } of ops) if (d.kind === "message" && d.attachments) for (const id of d.attachments) ids.add(id);
    if (ids.size === 0) return;
    for (const a of await this.deps.store.attachments([...ids])) w.attachments.set(a.id, { id: a.id, name: a.name, type: a.type, size: a.size });
  }

  private applyCommitted(s: State, w: Working, accepted: Array<{ op: Op; event: ConversationEvent }>): void {
    const removed: string[] = [];
    for (const id of s.members.keys()) if (!w.members.has(id)) removed.push(id);
    // The working copy was taken before the commit; read cursors that moved meanwhile must not go back.
    if (w.members !== s.members)
      for (const [id, m] of w.members) m.readSeq = Math.max(m.readSeq, s.members.get(id)?.readSeq ?? 0);
    s.members = w.members;
    s.title = w.title;
    for (const [seq, m] of w.messages) this.messages.set(seq, m);
    for (const id of removed) s.unread.delete(id);

    for (const { op, event } of accepted) {
      s.lastSeq = event.seq;
      s.lastTs = event.ts;
      if ("clientId" in event) this.clientIds.set(idemKey(event.author, event.clientId), [event.seq, event.ts]);
      if (event.kind === "message") {
        this.messages.set(event.seq, event);
        s.lastMessage = event;
        for (const [id, n] of s.unread) s.unread.set(id, id === event.author ? 0 : n + 1);
        const m = s.members.get(event.author);
        if (m) m.readSeq = event.seq;
      } else if (event.kind === "member" && event.action === "add") {
        s.unread.set(event.userId, 0); // counted from here on: messages earlier in this batch are before the join
      } else if (event.kind === "delete") {
        // A deleted message no longer counts as unread for those who had not read it (as countUnread agrees).
        const target = w.messages.get(event.target);
        for (const [id, n] of s.unread)
          if (n > 0 && id !== target?.author && (s.members.get(id)?.readSeq ?? 0) < event.target) s.unread.set(id, n - 1);
        if (s.lastMessage?.seq === event.target) s.lastMessage = target ?? s.lastMessage;
      } else if (event.kind === "edit" && s.lastMessage?.seq === event.target) {
        s.lastMessage = w.messages.get(event.target) ?? s.lastMessage;
      }
      this.succeed(op, { seq: event.seq, ts: event.ts, duplicate: false });
      this.fanout.broadcast(`{"t":"event","e":${JSON.stringify(event)}}`, event.seq);
      if (event.kind === "message") this.typing.set(event.author, false);
    }
    for (const id of removed) {
      this.fanout.closeUser(id, CloseCodes.forbidden, "removed from conversation");
      this.typing.set(id, false);
      this.deps.mesh.notifyInbox(id, { summary: this.summary(s, id, []), removed: true });
    }
    this.notifyInboxesSoon();
  }

  private succeed(op: Op, r: OpResult): void {
    if (op.conn && "clientId" in op.draft)
      op.conn.send(`{"t":"ack","clientId":"${op.draft.clientId}","seq":${r.seq},"ts":${r.ts}${r.duplicate ? ',"duplicate":true' : ""}}`);
    op.resolve(r);
  }

  private fail(op: Op, e: unknown): void {
    op.reject(e);
  }

  // ---------------------------------------------------------------- inboxes

  private summaryMembers(s: State): Member[] {
    const out: Member[] = [];
    for (const m of s.members.values()) {
      if (out.length >= SUMMARY_MEMBERS) break;
      out.push({ userId: m.userId, username: m.username, role: m.role });
    }
    return out;
  }

  summary(s: State, userId: string, members: Member[]): ConversationSummary {
    const last = s.lastMessage;
    return {
      id: this.id, type: s.type, title: s.title, members, lastSeq: s.lastSeq, lastTs: s.lastTs,
      preview: last ? { author: last.author, text: last.deleted ? "" : last.text.slice(0, PREVIEW_CHARS) } : null,
      unread: s.unread.get(userId) ?? 0,
      readSeq: s.members.get(userId)?.readSeq ?? 0,
    };
  }

  /** Inbox summaries go out at most every INBOX_COALESCE_MS per conversation: a busy group would
   *  otherwise send (members x batches) summaries per second. The chat stream itself is not delayed. */
  private notifyInboxesSoon(): void {
    this.cancelInboxNotify ??= this.deps.clock.schedule(INBOX_COALESCE_MS, () => {
      this.cancelInboxNotify = null;
      this.notifyInboxes();
    });
  }

  private notifyInboxes(): void {
    const s = this.s!;
    const members = this.summaryMembers(s);
    for (const userId of s.members.keys()) this.deps.mesh.notifyInbox(userId, { summary: this.summary(s, userId, members) });
  }

  /** No sockets, nothing queued or pending: the host may evict this actor. */
  idle(): boolean {
    return this.fanout.size === 0 && !this.flushing && this.queue.length === 0 && this.readsDirty.size === 0 &&
      this.creating === null && this.cancelInboxNotify === null && !this.calls.active;
  }

  /** Host shutdown: write what is held behind (read cursors, inbox summaries). */
  async close(): Promise<void> {
    if (this.cancelInboxNotify) {
      this.cancelInboxNotify();
      this.cancelInboxNotify = null;
      this.notifyInboxes();
    }
    if (this.cancelReadsFlush) {
      this.cancelReadsFlush();
      await this.flushReads();
    }
    this.dispose();
  }

  dispose(): void {
    this.typing.dispose();
    this.calls.dispose();
    this.cancelReadsFlush?.();
    this.cancelInboxNotify?.();
  }
}
