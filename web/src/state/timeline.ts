import type { AttachmentRef, ConversationEvent, MessageEvent, ThreadSummary } from "../../../protocol/index.ts";
import type { OutboxItem } from "./outbox.ts";

/**
 * One conversation's visible window: a contiguous run of the log [oldestSeq..lastSeq] plus the
 * person's own sends that have no seq yet. Three sources feed it and must never double up:
 *  - history pages (older events, messages in their *current* state),
 *  - live and replayed events (in seq order; edits/deletes/reactions patch their target),
 *  - optimistic sends from the outbox (keyed by clientId until the real event arrives).
 * `lastSeq` is the resume cursor: everything up to it has been applied, nothing after it has.
 * Thread replies (protocol/threads.ts) are kept apart (`repliesOf`): not rows of the main log, but
 * each one counts on its root's `thread` summary and edits, deletes and reactions patch them too.
 */
export interface MessageRow {
  kind: "message";
  key: string;
  seq: number;
  ts: number;
  author: string;
  clientId: string;
  text: string;
  replyTo?: number;
  attachments?: AttachmentRef[];
  /** Member ids, "@all", "@here" (protocol/mentions.ts). */
  mentions?: string[];
  pinned?: { by: string; ts: number };
  /** A thread reply's root; a root's replies so far. */
  threadRoot?: number;
  thread?: ThreadSummary;
  editedTs?: number;
  deleted?: boolean;
  reactions: Record<string, string[]>;
}

export interface PendingRow {
  kind: "pending";
  key: string;
  clientId: string;
  ts: number;
  author: string;
  text: string;
  replyTo?: number;
  attachments?: AttachmentRef[];
  mentions?: string[];
  /** Known once the server acknowledged it, before its event reached this window. */
  ackedSeq?: number;
  error?: string;
}

export interface SystemRow {
  kind: "system";
  key: string;
  seq: number;
  ts: number;
  event: Exclude<ConversationEvent, { kind: "message" | "edit" | "delete" | "reaction" | "pin" }>;
}

export type Row = MessageRow | PendingRow | SystemRow;
export type LiveResult = "applied" | "duplicate" | "gap";

const PATCH_KINDS = new Set(["edit", "delete", "reaction", "pin"]);

export class Timeline {
  epoch: string | null = null;
  /** Highest seq applied; 0 before anything was loaded. */
  lastSeq = 0;
  /** Lowest seq in the window (null when empty). */
  oldestSeq: number | null = null;
  hasMore = false;
  /** False until the first welcome or page: the window is unknown. */
  loaded = false;

  private bySeq = new Map<number, MessageRow | SystemRow>();
  private pending = new Map<string, PendingRow>();
  private clientIds = new Map<string, number>();
  /** Thread replies seen live or loaded by a thread panel, by seq. */
  private replies = new Map<number, MessageRow>();

  constructor(readonly me: string) {}

  /** Replace the window (first load, or the server could not replay: `recovered: false`). */
  reset(events: ConversationEvent[], hasMore: boolean, epoch?: string): void {
    this.bySeq.clear();
    this.clientIds.clear();
    this.oldestSeq = null;
    this.lastSeq = 0;
    if (epoch !== undefined) this.epoch = epoch;
    for (const e of events) this.insertMaterialized(e);
    this.lastSeq = events.length ? Math.max(...events.map((e) => e.seq)) : 0;
    this.hasMore = hasMore;
    this.loaded = true;
    this.dropSettledPending();
  }

  /** Apply a `welcome` frame; returns whether the window was resumed or rebuilt. */
  applyWelcome(w: { recovered: boolean; events: ConversationEvent[]; hasMore: boolean; conversation: { epoch: string; lastSeq: number } }): "resumed" | "reset" {
    const sameEpoch = this.epoch === null || this.epoch === w.conversation.epoch;
    if (w.recovered && this.loaded && sameEpoch) {
      this.epoch = w.conversation.epoch;
      for (const e of w.events) this.applyLive(e);
      return "resumed";
    }
    this.reset(w.events, w.hasMore, w.conversation.epoch);
    if (!w.events.length) this.lastSeq = w.conversation.lastSeq;
    return "reset";
  }

  /** A live (or replayed) event. Anything at or below the cursor was already applied. */
  applyLive(e: ConversationEvent): LiveResult {
    if (e.seq <= this.lastSeq) return "duplicate";
    if (this.loaded && this.lastSeq > 0 && e.seq > this.lastSeq + 1) return "gap";
    this.lastSeq = e.seq;
    if (this.oldestSeq === null) this.oldestSeq = e.seq;
    switch (e.kind) {
      case "edit":
        this.patch(e.target, (m) => ({ ...m, text: e.text, editedTs: e.ts }));
        break;
      case "delete":
        this.patch(e.target, (m) => ({ ...m, text: "", attachments: undefined, pinned: undefined, deleted: true }));
        break;
      case "reaction":
        this.patch(e.target, (m) => ({ ...m, reactions: toggle(m.reactions, e.emoji, e.author, e.on) }));
        break;
      case "pin":
        this.patch(e.target, (m) => ({ ...m, pinned: e.on ? { by: e.author, ts: e.ts } : undefined }));
        break;
      default:
        if (e.kind === "message" && e.threadRoot !== undefined) {
          this.replies.set(e.seq, toRow(e));
          const root = e.threadRoot;
          this.patch(root, (m) => ({ ...m, thread: { replies: (m.thread?.replies ?? 0) + 1, lastTs: e.ts, lastSeq: e.seq } }));
        } else this.insertMaterialized(e);
    }
    this.loaded = true;
    return "applied";
  }

  /** An older page (ascending seq, messages materialized). Only fills in below the window. */
  prependHistory(events: ConversationEvent[], hasMore: boolean): number {
    let added = 0;
    // The window's floor before this page: inserting moves oldestSeq, the filter must not move with it.
    const floor = this.oldestSeq;
    for (const e of events) {
      if (floor !== null && e.seq >= floor) continue;
      if (PATCH_KINDS.has(e.kind)) continue;
      if (!this.bySeq.has(e.seq)) added++;
      this.insertMaterialized(e);
    }
    this.hasMore = hasMore;
    if (!this.loaded) {
      this.lastSeq = events.length ? Math.max(...events.map((e) => e.seq)) : 0;
      this.loaded = true;
    }
    return added;
  }

  addPending(item: OutboxItem): void {
    if (this.clientIds.has(item.clientId)) return;
    const prev = this.pending.get(item.clientId);
    this.pending.set(item.clientId, {
      kind: "pending",
      key: `p:${item.clientId}`,
      clientId: item.clientId,
      ts: item.createdAt,
      author: this.me,
      text: item.text,
      replyTo: item.replyTo,
      attachments: item.attachments,
      mentions: item.mentions,
      ackedSeq: prev?.ackedSeq,
      error: item.error,
    });
  }

  markAcked(clientId: string, seq: number): void {
    const p = this.pending.get(clientId);
    if (!p) return;
    if (this.clientIds.has(clientId) || seq <= this.lastSeq) this.pending.delete(clientId);
    else this.pending.set(clientId, { ...p, ackedSeq: seq, error: undefined });
  }

  removePending(clientId: string): void {
    this.pending.delete(clientId);
  }

  has(seq: number): boolean {
    return this.bySeq.has(seq);
  }

  message(seq: number): MessageRow | undefined {
    const r = this.bySeq.get(seq);
    return r?.kind === "message" ? r : undefined;
  }

  /** A thread page from the server (replies in their current state). */
  putReplies(events: MessageEvent[]): void {
    for (const e of events) this.replies.set(e.seq, toRow(e));
  }

  /** The replies to `root` known here, oldest first. */
  repliesOf(root: number): MessageRow[] {
    return [...this.replies.values()].filter((r) => r.threadRoot === root).sort((a, b) => a.seq - b.seq);
  }

  /** Rows in display order: the log by seq, then sends still on their way. */
  rows(): Row[] {
    const logged = [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
    return [...logged, ...this.pending.values()];
  }

  private insertMaterialized(e: ConversationEvent): void {
    if (e.kind === "message" && e.threadRoot !== undefined) {
      this.replies.set(e.seq, toRow(e)); // not a row of the main log
    } else if (e.kind === "message") {
      const row = toRow(e);
      this.bySeq.set(e.seq, row);
      this.clientIds.set(e.clientId, e.seq);
      this.pending.delete(e.clientId);
    } else if (!PATCH_KINDS.has(e.kind)) {
      this.bySeq.set(e.seq, { kind: "system", key: `s:${e.seq}`, seq: e.seq, ts: e.ts, event: e as SystemRow["event"] });
    }
    if (this.oldestSeq === null || e.seq < this.oldestSeq) this.oldestSeq = e.seq;
  }

  private patch(target: number, f: (m: MessageRow) => MessageRow): void {
    const m = this.bySeq.get(target);
    if (m?.kind === "message") this.bySeq.set(target, f(m));
    const reply = this.replies.get(target);
    if (reply) this.replies.set(target, f(reply));
  }

  /** After a reset, sends the server already acknowledged are in the log (or older than it). */
  private dropSettledPending(): void {
    for (const [id, p] of this.pending) {
      if (this.clientIds.has(id) || (p.ackedSeq !== undefined && p.ackedSeq <= this.lastSeq)) this.pending.delete(id);
    }
  }
}

function toRow(e: MessageEvent): MessageRow {
  return {
    kind: "message",
    key: `m:${e.seq}`,
    seq: e.seq,
    ts: e.ts,
    author: e.author,
    clientId: e.clientId,
    text: e.deleted ? "" : e.text,
    replyTo: e.replyTo,
    threadRoot: e.threadRoot,
    thread: e.thread,
    attachments: e.deleted ? undefined : e.attachments,
    mentions: e.deleted ? undefined : e.mentions,
    pinned: e.deleted ? undefined : e.pinned,
    editedTs: e.editedTs,
    deleted: e.deleted,
    reactions: e.reactions ?? {},
  };
}

function toggle(reactions: Record<string, string[]>, emoji: string, user: string, on: boolean): Record<string, string[]> {
  const users = new Set(reactions[emoji] ?? []);
  if (on) users.add(user);
  else users.delete(user);
  const next = { ...reactions };
  if (users.size) next[emoji] = [...users];
  else delete next[emoji];
  return next;
}
