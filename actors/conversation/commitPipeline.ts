/**
 * The write path of a conversation actor. Drafts queue up while one batch commits; each batch gets
 * consecutive seqs, is committed as one storage batch (the host's Sql may group-commit it with other
 * actors'), and only then are senders acked and events fanned out. Nothing is applied in memory
 * before the commit succeeds, so a failed commit leaves no trace and no gap.
 */
import { CloseCodes, NexusError, type ConversationEvent, type MessageEvent } from "../../protocol/index.ts";
import type { Connection } from "../driver.ts";
import { LruMap } from "../lruMap.ts";
import { CLIENT_ID_WINDOW, emptyCommit } from "../storage/sqlConversationStore.ts";
import { ClientIdWindow } from "./clientIdWindow.ts";
import type { ConversationDeps } from "./ConversationActor.ts";
import { applyDraft, type Draft, type Working } from "./drafts.ts";
import type { Fanout } from "./fanout.ts";
import { idemKey, type Op, type OpResult, type State } from "./state.ts";
import type { TypingTracker } from "./typing.ts";

/** How far below the in-memory window a write without `base` is looked for (events). */
export const NO_BASE_WALK = 50_000;

export interface PipelineHost {
  readonly id: string;
  readonly deps: ConversationDeps;
  readonly fanout: Fanout;
  readonly typing: TypingTracker;
  current(): State | null;
  /** A batch is applied; `removed` members' sockets are already closed. */
  committed(s: State, removed: string[]): void;
  /** A sender's read cursor moved to its own message: stored behind, with explicit reads. */
  readMoved(userId: string, seq: number): void;
}

export class CommitPipeline {
  private queue: Op[] = [];
  private flushing = false;
  /** The newest (author, clientId) → [seq, ts]: resends are answered without storage. */
  readonly clientIds = new ClientIdWindow(CLIENT_ID_WINDOW);
  /** Recent messages, targets of edits, deletes and reactions. */
  readonly messages = new LruMap<number, MessageEvent>(500);

  constructor(private readonly host: PipelineHost) {}

  get busy(): boolean {
    return this.flushing || this.queue.length > 0;
  }

  knows(author: string, clientId: string): boolean {
    return this.clientIds.get(idemKey(author, clientId)) !== undefined;
  }

  /** Queue a draft; resolves after it is durable (or with the original seq for a known clientId). */
  submit(draft: Draft, conn?: Connection, base?: number): Promise<OpResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ draft, conn, base, resolve, reject });
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
          console.error(`[conversation ${this.host.id}] batch failed`, e);
          for (const op of ops) this.fail(op, new NexusError("storage_unavailable", "could not store the event; retry with the same clientId"));
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async commitBatch(all: Op[]): Promise<void> {
    const s = this.host.current();
    if (!s) return all.forEach((op) => this.fail(op, new NexusError("not_found", "no such conversation")));
    const ops = await this.dropDuplicates(all);
    if (ops.length === 0) return;
    const w: Working = { type: s.type, title: s.title, members: s.members, messages: new Map(), attachments: new Map(), maxGroupMembers: this.host.deps.limits.maxGroupMembers };
    if (ops.some((o) => o.draft.kind === "member")) w.members = new Map([...s.members].map(([k, v]) => [k, { ...v }]));
    await this.loadTargets(ops, w);
    await this.loadAttachments(ops, w);

    const c = emptyCommit();
    const accepted: Array<{ op: Op; event: ConversationEvent }> = [];
    const ts = this.host.deps.clock.now();
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
      await this.host.deps.store.commit(c);
    } catch (e) {
      console.error(`[conversation ${this.host.id}] commit failed`, e);
      for (const a of accepted) this.fail(a.op, new NexusError("storage_unavailable", "could not store the event; retry with the same clientId"));
      return;
    }
    this.applyCommitted(s, w, accepted);
  }

  /** Answer resends of known clientIds with their original seq; they are not stored again. Storage
   *  is searched only for clientIds the window cannot vouch for (clientIdWindow.ts). */
  private async dropDuplicates(ops: Op[]): Promise<Op[]> {
    const fresh: Op[] = [];
    const inBatch = new Map<string, Op[]>();
    const unknown: Array<{ author: string; clientId: string }> = [];
    let from = Infinity;
    for (const op of ops) {
      const cid = "clientId" in op.draft ? op.draft.clientId : undefined;
      if (!cid) { fresh.push(op); continue; }
      const key = idemKey(op.draft.author, cid);
      const hit = this.clientIds.get(key);
      if (hit) { this.succeed(op, { seq: hit[0], ts: hit[1], duplicate: true }); continue; }
      const twins = inBatch.get(key);
      if (twins) { twins.push(op); continue; }
      inBatch.set(key, [op]);
      if (!this.clientIds.covers(op.base)) {
        unknown.push({ author: op.draft.author, clientId: cid });
        // Without a base the walk is bounded: reads run on the event loop, and a full walk of a
        // million-event log per send would stall every conversation on this node.
        from = Math.min(from, op.base ?? Math.max(0, this.clientIds.floor - NO_BASE_WALK));
      }
    }
    const stored = unknown.length ? await this.host.deps.store.findClientIds(unknown, from, this.clientIds.floor) : null;
    for (const [key, group] of inBatch) {
      const hit = stored?.get(key);
      if (hit) {
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
      const m = this.messages.get(d.target) ?? (await this.host.deps.store.getMessage(d.target));
      if (m) w.messages.set(d.target, structuredClone(m));
    }
  }

  private async loadAttachments(ops: Op[], w: Working): Promise<void> {
    const ids = new Set<string>();
    for (const { draft: d } of ops) if (d.kind === "message" && d.attachments) for (const id of d.attachments) ids.add(id);
    if (ids.size === 0) return;
    for (const a of await this.host.deps.store.attachments([...ids])) w.attachments.set(a.id, { id: a.id, name: a.name, type: a.type, size: a.size });
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

    const encoded: string[] = [];
    for (const { op, event } of accepted) {
      s.lastSeq = event.seq;
      s.lastTs = event.ts;
      if ("clientId" in event) this.clientIds.add(idemKey(event.author, event.clientId), event.seq, event.ts);
      if (event.kind === "message") {
        this.messages.set(event.seq, event);
        s.lastMessage = event;
        for (const [id, n] of s.unread) s.unread.set(id, id === event.author ? 0 : n + 1);
        const m = s.members.get(event.author);
        if (m) {
          m.readSeq = event.seq;
          this.host.readMoved(event.author, event.seq);
        }
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
      encoded.push(JSON.stringify(event));
    }
    // The whole batch goes out as one frame: one publish and one WebSocket frame per socket instead
    // of one per event (a busy conversation commits several events per batch).
    this.host.fanout.broadcastEvents(accepted.map((a) => a.event.seq), encoded);
    for (const { event } of accepted) if (event.kind === "message") this.host.typing.set(event.author, false);
    for (const id of removed) {
      this.host.fanout.closeUser(id, CloseCodes.forbidden, "removed from conversation");
      this.host.typing.set(id, false);
    }
    this.host.committed(s, removed);
  }

  /** The sender's socket gets its own event (with clientId, seq and ts): that is its ack, and a
   *  separate frame per send cost a socket write each. Only a resend, which makes no new event,
   *  is answered with an `ack` frame. */
  private succeed(op: Op, r: OpResult): void {
    if (op.conn && r.duplicate && "clientId" in op.draft)
      op.conn.send(`{"t":"ack","clientId":"${op.draft.clientId}","seq":${r.seq},"ts":${r.ts},"duplicate":true}`);
    op.resolve(r);
  }

  private fail(op: Op, e: unknown): void {
    op.reject(e);
  }
}
