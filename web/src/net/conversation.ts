import { CloseCodes, type CallSignal, type ConversationInfo, type ServerFrame, type ServerFrameOf } from "../../../protocol/index.ts";
import type { Api } from "../api/client.ts";
import { humanError } from "../api/humanErrors.ts";
import type { SendOutcome } from "../state/flusher.ts";
import type { OutboxItem } from "../state/outbox.ts";
import { resumeParams } from "../state/resume.ts";
import { Timeline } from "../state/timeline.ts";
import { ReconnectingSocket, type SocketState, socketUrl } from "./socket.ts";

/**
 * The live link to one conversation: its socket, its timeline window and what members are doing
 * (typing, read cursors). Several parts of the UI (the open chat, a running call) can hold the same
 * connection; it closes when the last one lets go (see registry.ts).
 */
const ACK_TIMEOUT_MS = 10_000;
const TYPING_SHOWN_MS = 6_000;
const RETRYABLE = new Set(["rate_limited", "storage_unavailable", "internal"]);

export class ConversationConnection {
  readonly timeline: Timeline;
  info: ConversationInfo | null = null;
  state: SocketState = "connecting";
  /** Closed for good (removed from the group, not found): the reason, for the UI. */
  closedReason: string | null = null;
  /** The conversation's storage is unreachable: history works, sends are refused as retryable and
   *  stay queued in the outbox until a `storage` frame says it is back (the flusher is kicked then). */
  readOnly = false;
  /** The server's text limit, from the welcome (the composer checks it before sending). */
  maxTextLength: number | null = null;
  typing = new Map<string, number>();
  reads: Record<string, number> = {};
  private socket: ReconnectingSocket;
  private acks = new Map<string, { resolve: (o: SendOutcome) => void; timer: ReturnType<typeof setTimeout> }>();
  private listeners = new Set<() => void>();
  private callListeners = new Set<(f: ServerFrameOf<"call">) => void>();
  private errorListeners = new Set<(message: string) => void>();
  private typingSweep: ReturnType<typeof setInterval>;
  loadingOlder = false;

  constructor(
    readonly id: string,
    readonly me: string,
    private readonly api: Api,
  ) {
    this.timeline = new Timeline(me);
    this.socket = new ReconnectingSocket({
      url: async () => {
        const ticket = await this.api.wsTicket();
        return socketUrl(`/v1/ws/conversations/${id}`, { ticket, ...resumeParams(this.timeline) });
      },
      onFrame: (f) => this.onFrame(f),
      onState: (s, d) => {
        this.state = s;
        if (s !== "open") this.failAcks();
        if (s === "closed" && d?.code)
          this.closedReason = d.code === CloseCodes.notFound ? "Conversation not found"
            : d.code === CloseCodes.signedOut ? "You were signed out" : "You are no longer a member of this conversation";
        this.emit();
      },
    });
    this.typingSweep = setInterval(() => this.expireTyping(), 1000);
  }

  get open(): boolean {
    return this.socket.isOpen && this.info !== null;
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onCall(fn: (f: ServerFrameOf<"call">) => void): () => void {
    this.callListeners.add(fn);
    return () => this.callListeners.delete(fn);
  }

  onError(fn: (message: string) => void): () => void {
    this.errorListeners.add(fn);
    return () => this.errorListeners.delete(fn);
  }

  /** Send a queued message over this socket and wait for the actor's ack (or refusal). */
  sendQueued(item: OutboxItem): Promise<SendOutcome> {
    return new Promise((resolve) => {
      const ok = this.socket.send({
        t: "send",
        clientId: item.clientId,
        base: item.base,
        text: item.text,
        replyTo: item.replyTo,
        attachments: item.attachments?.map((a) => a.id),
        mentions: item.mentions,
      });
      if (!ok) return resolve({ kind: "retry", reason: "socket not open" });
      const timer = setTimeout(() => {
        this.acks.delete(item.clientId);
        resolve({ kind: "retry", reason: "ack timeout" });
      }, ACK_TIMEOUT_MS);
      this.acks.get(item.clientId)?.resolve({ kind: "retry", reason: "superseded" });
      this.acks.set(item.clientId, { resolve, timer });
    });
  }

  /** Edits, deletes, reactions, typing, reads: fire-and-forget frames; false when not connected. */
  frame(f: object): boolean {
    return this.socket.send(f);
  }

  call(signal: Omit<CallSignal, "t">): boolean {
    return this.socket.send({ t: "call", ...signal });
  }

  async loadOlder(): Promise<number> {
    const t = this.timeline;
    if (this.loadingOlder || !t.loaded || !t.hasMore || t.oldestSeq === null) return 0;
    this.loadingOlder = true;
    this.emit();
    try {
      const page = await this.api.history(this.id, t.oldestSeq, 50);
      return t.prependHistory(page.events, page.hasMore);
    } finally {
      this.loadingOlder = false;
      this.emit();
    }
  }

  /** Load pages until `seq` is in the window (search → jump to message). */
  async loadUntil(seq: number, maxPages = 40): Promise<boolean> {
    for (let i = 0; i < maxPages; i++) {
      const t = this.timeline;
      if (t.loaded && t.oldestSeq !== null && t.oldestSeq <= seq) return true;
      if (!t.loaded) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (!t.hasMore) return false;
      await this.loadOlder();
    }
    return this.timeline.oldestSeq !== null && this.timeline.oldestSeq <= seq;
  }

  reconnect(): void {
    this.socket.reconnectNow();
  }

  close(): void {
    clearInterval(this.typingSweep);
    this.failAcks();
    this.socket.close();
    this.listeners.clear();
    this.callListeners.clear();
    this.errorListeners.clear();
  }

  emit(): void {
    for (const fn of this.listeners) fn();
  }

  /** Apply one live event; false if it revealed a gap (the socket is then resuming). */
  private onEvent(e: import("../../../protocol/index.ts").ConversationEvent): boolean {
    if (this.timeline.applyLive(e) === "gap") {
      // Never paper over a hole in the log: resume from the cursor instead.
      this.socket.reconnectNow();
      return false;
    }
    this.applyToInfo(e);
    if (e.kind === "message") this.typing.delete(e.author);
    // Our own event is the ack (the server sends `ack` frames only for resends it already had).
    if ("clientId" in e && e.author === this.me) this.acked(e.clientId, e.seq, e.ts);
    return true;
  }

  private acked(clientId: string, seq: number, ts: number): void {
    const waiter = this.acks.get(clientId);
    if (waiter) {
      clearTimeout(waiter.timer);
      this.acks.delete(clientId);
      waiter.resolve({ kind: "ok", seq, ts });
    }
    this.timeline.markAcked(clientId, seq);
  }

  private onFrame(f: ServerFrame): void {
    switch (f.t) {
      case "welcome":
        this.info = f.conversation;
        this.maxTextLength = f.limits?.maxTextLength ?? this.maxTextLength;
        this.reads = { ...f.conversation.reads };
        this.typing = new Map(f.typing.filter((u) => u !== this.me).map((u) => [u, Date.now()]));
        this.readOnly = f.readOnly === true;
        this.timeline.applyWelcome(f);
        this.socket.healthy();
        break;
      case "event":
        if (!this.onEvent(f.e)) return;
        break;
      case "events":
        for (const e of f.es) if (!this.onEvent(e)) return;
        break;
      case "ack":
        this.acked(f.clientId, f.seq, f.ts);
        break;
      case "error": {
        const waiter = f.clientId ? this.acks.get(f.clientId) : undefined;
        if (waiter && f.clientId) {
          clearTimeout(waiter.timer);
          this.acks.delete(f.clientId);
          waiter.resolve(RETRYABLE.has(f.code) ? { kind: "retry", reason: f.code } : { kind: "fatal", message: humanError(f.code, f.message) });
        } else {
          // An edit, reaction or other frame the actor refused: tell the person.
          for (const fn of this.errorListeners) fn(humanError(f.code, f.message));
        }
        return;
      }
      case "typing":
        if (f.userId === this.me) return;
        if (f.on) this.typing.set(f.userId, Date.now());
        else this.typing.delete(f.userId);
        break;
      case "read":
        this.reads = { ...this.reads, [f.userId]: Math.max(this.reads[f.userId] ?? 0, f.seq) };
        break;
      case "history":
        if (f.before !== null) this.timeline.prependHistory(f.events, f.hasMore);
        break;
      case "call":
        for (const fn of this.callListeners) fn(f);
        return;
      case "storage":
        this.readOnly = f.readOnly;
        break;
      default:
        return;
    }
    this.emit();
  }

  /** Membership, title, picture and description changes arrive as events; keep the header, member
   *  list and group settings current. */
  private applyToInfo(e: import("../../../protocol/index.ts").ConversationEvent): void {
    const info = this.info;
    if (!info) return;
    if (e.kind === "rename") this.info = { ...info, title: e.title };
    if (e.kind === "profile") {
      // The event carries the whole profile after the change: absent fields are unset.
      const { description: _d, picture: _p, ...rest } = info;
      this.info = { ...rest, ...(e.description ? { description: e.description } : {}), ...(e.picture ? { picture: e.picture } : {}) };
    }
    if (e.kind === "member") {
      const others = info.members.filter((m) => m.userId !== e.userId);
      const members = e.action === "add" || e.action === "role" ? [...others, { userId: e.userId, username: e.username, role: e.role ?? "member" }] : others;
      this.info = { ...info, members };
    }
    this.info = { ...this.info!, lastSeq: e.seq };
  }

  private expireTyping(): void {
    const now = Date.now();
    let changed = false;
    for (const [u, at] of this.typing) if (now - at > TYPING_SHOWN_MS) (this.typing.delete(u), (changed = true));
    if (changed) this.emit();
  }

  private failAcks(): void {
    for (const [, w] of this.acks) {
      clearTimeout(w.timer);
      w.resolve({ kind: "retry", reason: "disconnected" });
    }
    this.acks.clear();
  }
}
