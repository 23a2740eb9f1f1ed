/**
 * A member's unread and mention counts after their read cursor moved, recounted from storage and
 * reconciled with what was applied in memory while the count ran. A failed read is retried (the
 * cursor has moved already; the counts must follow it).
 */
import type { Clock } from "../ports.ts";
import type { SqlConversationStore } from "../storage/sqlConversationStore.ts";
import type { CommitPipeline } from "./commitPipeline.ts";
import type { State } from "./state.ts";

export interface RecountHost {
  readonly id: string;
  readonly store: SqlConversationStore;
  readonly clock: Clock;
  readonly pipeline: Pick<CommitPipeline, "quiet" | "exclusiveSubmitted">;
  /** The counts changed: tell the member's inbox. */
  recounted(userId: string): void;
}

export async function recountUnread(h: RecountHost, s: State, userId: string, to: number): Promise<void> {
  try {
    for (;;) {
      // A delete stored but not yet applied would be counted twice (storage drops its message,
      // then applyCommitted decrements): count only while no such batch is in flight, and again
      // if one was submitted meanwhile.
      await h.pipeline.quiet();
      const mark = h.pipeline.exclusiveSubmitted;
      // Up to the applied seq only; messages applied while the count runs are added to the
      // in-memory count by applyCommitted, so that change is kept on top of the count.
      const upTo = s.lastSeq;
      const before = s.unread.get(userId) ?? 0;
      const mentionsBefore = s.mentions.get(userId) ?? 0;
      const n = await h.store.countUnread(userId, to, upTo);
      const mentioned = await h.store.countMentions(userId, to, upTo);
      if (s.members.get(userId)?.readSeq !== to) return; // removed, or a newer read / own send moved the cursor
      if (h.pipeline.exclusiveSubmitted !== mark) continue;
      s.unread.set(userId, Math.max(0, n + (s.unread.get(userId) ?? 0) - before));
      s.mentions.set(userId, Math.max(0, mentioned + (s.mentions.get(userId) ?? 0) - mentionsBefore));
      break;
    }
  } catch (e) {
    console.error(`[conversation ${h.id}] unread count for ${userId} failed; retrying`, e);
    h.clock.schedule(1000, () => void recountUnread(h, s, userId, to));
    return;
  }
  h.recounted(userId);
}
