/**
 * What an inbox holds behind: the summaries it changed or removed, its last seen and the status its
 * user chose, written together in one batch within WRITE_BEHIND_MS, or at once when a change must be
 * stored before it is confirmed (a durable update, a hand-over). Summaries are derived state (the
 * conversations are the source of truth and send them again on every change), so they are not
 * awaited: at everyday load every member's inbox is dirty all the time, and at 500 ms their rows (a
 * JSON summary each) were over half the statements of the group commits (#21).
 *
 * A failed write is tried again a second later, unless the inbox's owner says it must not be
 * (InboxActor `diverged`: a newer writer's fence refused it, inboxWriterFence.ts): then nothing
 * more is written by this instance, ever, since no retry could succeed.
 */
import type { ConversationSummary } from "../../protocol/index.ts";
import type { Clock } from "../ports.ts";
import type { ChosenStatus, SqlInboxStore } from "../storage/sqlInboxStore.ts";

const WRITE_BEHIND_MS = 2000;

/** The inbox's state in memory, as the write reads it when it is built. */
export interface HeldInbox {
  readonly userId: string;
  row(conversationId: string): ConversationSummary | undefined;
  lastSeen(): number | null;
  chosen(): ChosenStatus;
  /** A write failed: true when it must never be retried (the inbox stops; see the header). */
  failedForGood(e: unknown): boolean;
}

export class InboxWriteBehind {
  private dirty = new Set<string>();
  private removed = new Set<string>();
  private seenDirty = false;
  private chosenDirty = false;
  private cancelSave: (() => void) | null = null;
  /** Saves run one after another, so awaiting one also awaits any write already in flight. */
  private saving: Promise<void> = Promise.resolve();
  /** Handed over (its home moves to another region): nothing written until the move fails. */
  private handedOver = false;
  /** Refused for good, or forgotten by the host (`stop`): nothing is written any more. */
  private ended = false;

  constructor(private readonly store: SqlInboxStore, private readonly clock: Clock, private readonly held: HeldInbox) {}

  changed(conversationId: string): void {
    this.dirty.add(conversationId);
    this.removed.delete(conversationId);
  }

  removedRow(conversationId: string): void {
    this.removed.add(conversationId);
    this.dirty.delete(conversationId);
  }

  seenChanged(): void {
    this.seenDirty = true;
  }

  chosenChanged(): void {
    this.chosenDirty = true;
  }

  /** Written within `ms`, with whatever else changes meanwhile. */
  soon(ms = WRITE_BEHIND_MS): void {
    if (this.handedOver || this.ended) return;
    this.cancelSave ??= this.clock.schedule(ms, () => void this.save().catch(() => {}));
  }

  /** Written now (what is scheduled goes with it). Rejects if this write failed: a durable update
   *  must not be confirmed. */
  now(): Promise<void> {
    this.cancelSave?.();
    return this.save();
  }

  private save(): Promise<void> {
    this.cancelSave = null;
    const p = this.saving.then(() => this.writeDirty());
    this.saving = p.catch(() => {});
    return p;
  }

  private async writeDirty(): Promise<void> {
    if (this.ended) throw new Error(`inbox ${this.held.userId}: this instance writes nothing any more (refused, or dropped by its host)`);
    const upserts = [...this.dirty].map((id) => this.held.row(id)!).filter(Boolean);
    const removals = [...this.removed];
    const lastSeen = this.held.lastSeen();
    const seen = this.seenDirty && lastSeen !== null ? lastSeen : undefined;
    const chosen = this.chosenDirty ? this.held.chosen() : undefined;
    this.dirty.clear();
    this.removed.clear();
    this.seenDirty = false;
    this.chosenDirty = false;
    try {
      await this.store.save(upserts, removals, seen, chosen);
    } catch (e) {
      if (this.held.failedForGood(e)) {
        this.ended = true;
        throw e;
      }
      console.error(`[inbox ${this.held.userId}] save failed; retrying`, e);
      for (const u of upserts) if (this.held.row(u.id)) this.dirty.add(u.id);
      for (const r of removals) if (!this.held.row(r)) this.removed.add(r);
      if (seen !== undefined) this.seenDirty = true;
      if (chosen !== undefined) this.chosenDirty = true;
      this.soon(1000);
      throw e;
    }
  }

  /** Nothing held and nothing scheduled. */
  idle(): boolean {
    return this.cancelSave === null && this.dirty.size === 0 && this.removed.size === 0 && !this.seenDirty && !this.chosenDirty;
  }

  /** Nothing is written any more, what is held included: the host forgot this instance, whose state
   *  may be older than storage (BunActorSystem `drop`). A durable update still under way fails. */
  stop(): void {
    this.ended = true;
    this.cancelSave?.();
    this.cancelSave = null;
  }

  /** From now on nothing is scheduled (a hand-over: its last write follows, `handOverWrite`). */
  pauseForHandOver(): void {
    this.handedOver = true;
  }

  /** The hand-over's last write, before the copy is read; nothing is written after it (a late
   *  socket close would retry a write the move's fence refuses for ever). A failed write fails the
   *  move: the inbox serves on and writes again (unless it was refused for good). */
  async handOverWrite(): Promise<void> {
    try {
      await this.now();
    } catch (e) {
      this.handedOver = false;
      this.soon(1000); // writeDirty marked it dirty again but could not schedule while handed over
      throw e;
    }
  }
}
