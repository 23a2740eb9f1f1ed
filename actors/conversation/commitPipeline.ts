/**
 * The write path of a conversation actor. Drafts queue up; each batch gets consecutive seqs, is
 * committed as one storage batch (the host's Sql may group-commit it with other actors'), and only
 * then are senders acked and events fanned out. Nothing is applied in memory before the commit
 * succeeds, so a failed commit leaves no trace.
 *
 * Batches of plain messages are pipelined: the next one is built and submitted while the previous
 * one still commits, so a send waits for one group commit, not for its conversation's previous batch
 * as well (that wait was half the latency under load). It is safe because messages change nothing a
 * later message is checked against (membership), their seqs continue the batch in flight, the Sql
 * commits batches in order, and a failed batch fails the rest of its CommitChain unwritten (no gap).
 * Any other kind of draft (members, edits, reactions…) waits until nothing is in flight, and nothing
 * is built while it commits. Applying a committed batch to state and sockets is applyBatch.ts;
 * answering resends of stored clientIds is resends.ts.
 */
import { duplicateAckFrame } from "../../protocol/serverFrames.ts";
import { NexusError, type AttachmentRef } from "../../protocol/index.ts";
import type { Connection } from "../ports.ts";
import { mayHaveDiverged, type CommitChain } from "../storage/sql.ts";
import { CLIENT_ID_WINDOW, emptyCommit, type Commit } from "../storage/sqlConversationStore.ts";
import { ClientIdWindow } from "./clientIdWindow.ts";
import { RecentMessages } from "./recentMessages.ts";
import { applyBatch, type Applier } from "./applyBatch.ts";
import type { PipelineHost } from "./pipelineHost.ts";
import { applyDraft, type Draft, type Working } from "./drafts.ts";
import { loadAttachments, loadTargets } from "./preCommitReads.ts";
import { dropResends, type Resends } from "./resends.ts";
import { isStorageOutage } from "./storageOutage.ts";
import { storageUnavailable, type Op, type OpResult, type State } from "./state.ts";
import { answer, ignore, plain, type Batch } from "./pipelineBatch.ts";

export type { PipelineHost } from "./pipelineHost.ts";

export class CommitPipeline {
  private queue: Op[] = [];
  private building = false;
  /** Batches submitted and not yet settled (applied, failed or requeued). */
  private inFlight = 0;
  /** Of those, batches the Sql took (they hold seqs above the applied state). */
  private taken = 0;
  /** The plain batch still collecting messages, if any. */
  private open: Batch | null = null;
  /** A batch with non-plain drafts is in flight: build nothing until it is applied. */
  private barrier = false;
  /** How many non-plain batches were ever submitted (readers compare it across a storage read). */
  exclusiveSubmitted = 0;
  /** Settles once every batch submitted so far is settled. */
  private tail: Promise<void> = Promise.resolve();
  /** The newest seq given out by `take`; meaningful while taken > 0. */
  private builtSeq = 0;
  private chain: CommitChain = { failed: false };
  /** Storage may hold what this pipeline does not know: it writes nothing more (see settle). */
  private stopped = false;
  /** The newest stored clientIds, and those committing: resends are answered without storage, and
   *  a resend of a committing op becomes its twin. */
  readonly clientIds = new ClientIdWindow(CLIENT_ID_WINDOW);
  /** Recent messages, targets of edits, deletes and reactions. */
  readonly messages = new RecentMessages(512);

  private readonly applier: Applier;
  private readonly resends: Resends;

  constructor(private readonly host: PipelineHost) {
    this.applier = { host, clientIds: this.clientIds, messages: this.messages, succeed: (op, r) => this.succeed(op, r) };
    this.resends = {
      id: host.id, clientIds: this.clientIds, store: host.deps.store,
      succeed: (op, r) => this.succeed(op, r), fail: (op, e) => this.fail(op, e), unpend: (op) => this.unpend(op), twin: (o, op) => this.twin(o, op),
    };
  }

  /** Resolves when no non-plain batch is in flight (storage holds no edit, delete or membership
   *  change the actor has not applied). */
  async quiet(): Promise<void> {
    while (this.barrier) await this.tail;
  }

  get busy(): boolean {
    return this.building || this.queue.length > 0 || this.inFlight > 0;
  }

  /** A stored or committing clientId (its resend is not a new send). */
  knows(author: string, clientId: string): boolean {
    return this.clientIds.get(author, clientId) !== undefined;
  }

  /** Queue a draft; resolves after it is durable (or with the original seq for a known clientId). */
  submit(draft: Draft, conn?: Connection, base?: number): Promise<OpResult> {
    return new Promise((resolve, reject) => this.add({ draft, conn, base, resolve, reject, twins: undefined, entry: undefined, settled: false, twinOf: undefined }));
  }

  /** Like submit, for a caller that needs no result: only a refusal is reported, to `refused`. */
  enqueue(draft: Draft, conn: Connection | undefined, base: number | undefined, refused: (e: unknown) => void): void {
    // Every field set from the start: one object shape for all ops.
    this.add({ draft, conn, base, resolve: ignore, reject: refused, twins: undefined, entry: undefined, settled: false, twinOf: undefined });
  }

  private add(op: Op): void {
    if (this.stopped) {
      // Read-only (storageOutage.ts): a resend of a stored clientId is still answered as a duplicate.
      const d = op.draft;
      const hit = "clientId" in d ? this.clientIds.get(d.author, d.clientId) : undefined;
      if (hit && !hit.op) return this.succeed(op, { seq: hit.seq, ts: hit.ts, duplicate: true });
      return this.fail(op, storageUnavailable());
    }
    if (this.queue.length === 0 && !this.building && this.addNow(op)) return;
    this.queue.push(op);
    this.kick();
  }

  /** The common case without a detour through the queue: a plain message that needs no storage read
   *  (no attachments, its clientId vouched for by the window) joins the open batch at once. Only
   *  when nothing is queued or being prepared ahead of it, so order is kept. */
  private addNow(op: Op): boolean {
    const d = op.draft;
    if (!plain(d) || d.kind !== "message" || d.attachments?.length || this.barrier || !this.host.current()) return false;
    const hit = this.clientIds.get(d.author, d.clientId);
    if (hit) {
      if (hit.op) this.twin(hit.op, op);
      else this.succeed(op, { seq: hit.seq, ts: hit.ts, duplicate: true });
      return true;
    }
    if (!this.clientIds.covers(op.base)) return false;
    op.entry = this.clientIds.pend(d.author, d.clientId, op);
    (this.open ?? this.openBatch()).ops.push(op);
    return true;
  }

  private kick(): void {
    if (this.building) return;
    this.building = true;
    queueMicrotask(() => void this.build());
  }

  /** Ops whose batch was not written through no fault of theirs go back to the front of the queue. */
  private requeue(ops: Op[]): void {
    if (ops.length === 0) return;
    if (this.stopped) {
      for (const op of ops) this.fail(op, storageUnavailable());
      return;
    }
    for (const op of ops) this.unpend(op);
    this.queue.unshift(...ops);
    this.kick();
  }

  /** Prepares queued ops and hands them to a batch; applying them is `settle`'s. */
  private async build(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        let ops: Op[];
        if (this.inFlight === 0) {
          ops = this.queue;
          this.queue = [];
        } else {
          let n = 0;
          if (!this.barrier) while (n < this.queue.length && plain(this.queue[n]!.draft)) n++;
          if (n === 0) {
            await this.tail;
            continue;
          }
          ops = this.queue.splice(0, n);
        }
        try {
          await this.prepare(ops);
        } catch (e) {
          // Not expected (prepare answers its own read failures): still, no caller may wait forever.
          // Ops answered, queued again, or waiting as a twin of an op in flight are left alone.
          console.error(`[conversation ${this.host.id}] batch failed`, e);
          for (const op of ops)
            if (!op.settled && !op.twinOf && !this.queue.includes(op) && !this.inBatch(op)) this.fail(op, storageUnavailable());
        }
      }
    } finally {
      this.building = false;
    }
  }

  /** Checks what needs storage (duplicates, targets, attachments), then adds the ops to a batch. */
  private async prepare(all: Op[]): Promise<void> {
    const s = this.host.current();
    if (!s) return all.forEach((op) => this.fail(op, new NexusError("not_found", "no such conversation")));
    const ops = await dropResends(this.resends, all);
    if (ops.length === 0) return;
    const isPlain = ops.every((o) => plain(o.draft));
    let w: Working | null = null;
    let attachments: Map<string, AttachmentRef> | null = null;
    try {
      if (!isPlain) {
        w = { type: s.type, title: s.title, profile: s.profile, members: s.members, messages: new Map(), attachments: new Map(), maxGroupMembers: this.host.deps.limits.maxGroupMembers };
        if (ops.some((o) => o.draft.kind === "member")) w.members = new Map([...s.members].map(([k, v]) => [k, { ...v }]));
        await loadTargets(this.host.deps.store, this.messages, ops, w);
      }
      if (ops.some((o) => o.draft.kind === "message" && o.draft.attachments?.length)) attachments = await loadAttachments(this.host.deps.store, ops);
    } catch (e) {
      // A read before the commit (targets, attachments) failed: these ops fail; their resends are tried again.
      console.error(`[conversation ${this.host.id}] read before commit failed`, e);
      for (const op of ops) this.fail(op, storageUnavailable());
      return;
    }
    if (isPlain) {
      const b = this.open ?? this.openBatch();
      for (const op of ops) b.ops.push(op);
      if (attachments) for (const [id, a] of attachments) b.attachments.set(id, a);
      return;
    }
    // Only built with nothing in flight (build), and nothing is built while it is.
    this.barrier = true;
    this.exclusiveSubmitted++;
    this.submitBatch({ ops, plain: false, w, attachments: attachments ?? new Map(), accepted: [], taken: false });
  }

  private openBatch(): Batch {
    const b: Batch = { ops: [], plain: true, w: null, attachments: new Map(), accepted: [], taken: false };
    this.open = b;
    this.submitBatch(b);
    return b;
  }

  private submitBatch(b: Batch): void {
    this.inFlight++;
    const chain = this.chain;
    // Submitted after this turn's prepared ops joined it (a host whose Sql takes batches at once).
    const committed = Promise.resolve().then(() => this.host.deps.store.commit(() => this.take(b), chain));
    this.tail = this.settle(b, chain, committed, this.tail);
  }

  /** Called by the Sql when it takes the batch into a transaction: seqs continue every batch taken
   *  before, and nothing awaits between here and the write. */
  private take(b: Batch): Commit {
    if (this.open === b) this.open = null;
    b.taken = true;
    this.taken++;
    const s = this.host.current()!;
    const w: Working = b.w ?? { type: s.type, title: s.title, profile: s.profile, members: s.members, messages: new Map(), attachments: b.attachments,
      maxGroupMembers: this.host.deps.limits.maxGroupMembers };
    if (b.w) w.attachments = b.attachments;
    const c = emptyCommit();
    const ts = this.host.deps.clock.now();
    let seq = this.taken > 1 ? this.builtSeq : s.lastSeq;
    for (const op of b.ops) {
      const d = op.draft;
      try {
        const adminDelete = d.kind === "delete" && d.accountAdmin;
        if (!w.members.has(d.author) && !adminDelete && d.kind !== "call") throw new NexusError("not_member", "not a member of this conversation");
        const { event, patch } = applyDraft(w, d, seq + 1, ts);
        seq++;
        c.events.push(event);
        if (patch) c.patches.push(patch);
        if (event.kind === "member" && event.action === "add") c.reads.push([event.userId, event.seq]);
        b.accepted.push({ op, event });
      } catch (e) {
        this.fail(op, e);
      }
    }
    this.builtSeq = seq;
    if (w.title !== s.title) c.title = w.title;
    if (w.members !== s.members) {
      for (const [id, m] of w.members) if (s.members.get(id)?.role !== m.role) c.memberUpserts.push(m);
      for (const id of s.members.keys()) if (!w.members.has(id)) c.memberRemovals.push(id);
    }
    b.w = w;
    return c;
  }

  /** Applies a committed batch, in submission order (after the previous batch settled). */
  private async settle(b: Batch, chain: CommitChain, committed: Promise<void>, previous: Promise<void>): Promise<void> {
    let error: unknown = null;
    try {
      await committed;
    } catch (e) {
      error = e;
    }
    await previous; // never rejects: nothing below throws out of settle
    this.inFlight--;
    if (b.taken) this.taken--;
    if (this.open === b) this.open = null;
    if (!b.plain) this.barrier = false;
    const s = this.host.current()!;
    if (error === null) {
      try {
        this.applyCommitted(s, b);
      } catch (e) {
        // A bug, not storage: the batch is stored; log it rather than wedge every later batch.
        console.error(`[conversation ${this.host.id}] applying a committed batch failed`, e);
      }
      return;
    }
    const ops = b.taken ? b.accepted.map((a) => a.op) : b.ops;
    if (!b.taken || chain !== this.chain) {
      // Never written (its chain had failed, or it was built on a batch that failed): build it again.
      return this.requeue(ops);
    }
    console.error(`[conversation ${this.host.id}] commit failed`, error);
    if (this.host.deps.onDiverged && isStorageOutage(error)) {
      // Storage cannot be reached, and may or may not hold this batch: write nothing more until it
      // answers and says which (storageOutage.ts); sockets stay, reads come from memory meanwhile.
      this.stopped = true;
      for (const op of ops) this.fail(op, storageUnavailable());
      for (const op of this.queue.splice(0)) this.fail(op, storageUnavailable());
      this.host.storageLost(error);
      return;
    }
    if (this.host.deps.onDiverged && mayHaveDiverged(error)) {
      // The batch may be stored after all, or another writer's is: seqs from this state could
      // collide or skip. Write nothing more (the chain stays failed, so batches already queued are
      // refused unwritten); the host reloads the conversation from storage.
      this.stopped = true;
      for (const op of ops) this.fail(op, storageUnavailable());
      for (const op of this.queue.splice(0)) this.fail(op, storageUnavailable());
      this.host.diverged();
      return;
    }
    // Later batches of this chain fail unwritten and come back (above); new ones build on what is stored.
    this.chain = { failed: false };
    this.builtSeq = s.lastSeq;
    for (const op of ops) this.fail(op, storageUnavailable());
  }

  /** Read-only: refuse writes without trying storage (storageOutage.ts). */
  stop(): void {
    this.stopped = true;
  }

  /** Storage answers again and holds exactly the applied state: write on from it. */
  resume(): void {
    const s = this.host.current();
    this.stopped = false;
    this.chain = { failed: false };
    if (s) this.builtSeq = s.lastSeq;
  }

  /** Resolves once every batch submitted so far has settled (and nothing is being built). */
  async drained(): Promise<void> {
    while (this.inFlight > 0 || this.building) await (this.inFlight > 0 ? this.tail : new Promise<void>((r) => this.host.deps.clock.schedule(5, r)));
  }

  private applyCommitted(s: State, b: Batch): void {
    applyBatch(this.applier, s, b.accepted, b.w!, b.plain);
  }

  /** The sender's socket gets its own event (with clientId, seq and ts): that is its ack, and a
   *  separate frame per send cost a socket write each. Only a resend, which makes no new event,
   *  is answered with an `ack` frame. Each op is answered once. */
  private succeed(op: Op, r: OpResult): void {
    if (op.settled) return;
    op.settled = true;
    if (op.conn && r.duplicate && "clientId" in op.draft)
      op.conn.send(duplicateAckFrame(op.draft.clientId, r.seq, r.ts));
    answer(() => op.resolve(r));
    if (op.twins) for (const t of op.twins) this.succeed(t, { ...r, duplicate: true });
  }

  private unpend(op: Op): void {
    if (!op.entry) return;
    this.clientIds.drop(op.entry);
    op.entry = undefined;
  }

  private twin(original: Op, op: Op): void {
    op.twinOf = original;
    (original.twins ??= []).push(op);
  }

  private inBatch(op: Op): boolean {
    return op.entry !== undefined;
  }

  /** A failed op's resends are not failed with it: they are tried again, as the client would. */
  private fail(op: Op, e: unknown): void {
    if (op.settled) return;
    op.settled = true;
    this.unpend(op);
    answer(() => op.reject(e));
    const twins = op.twins;
    op.twins = undefined;
    if (twins) {
      for (const t of twins) t.twinOf = undefined;
      this.requeue(twins);
    }
  }
}
