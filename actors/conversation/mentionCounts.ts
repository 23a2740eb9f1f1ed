/**
 * Per member, how many of their unread messages mention them (State.mentions), kept beside the
 * unread count as batches are applied (applyBatch.ts) and shown in the inbox summary.
 */
import type { ConversationEvent, MessageEvent } from "../../protocol/index.ts";
import { mentions } from "./mentionRules.ts";
import type { State } from "./state.ts";

/** Counts after an applied event (in seq order). An author's own message reads everything before
 *  it (their cursor moved to it), so their count starts again from zero, as their unread count does. */
export function countMentions(s: State, e: ConversationEvent, deletedTarget?: MessageEvent): void {
  if (e.kind === "message") {
    // A thread reply counts in the thread instead: whom it mentions follow the thread (threadStore.ts).
    if (e.threadRoot !== undefined) return;
    s.mentions.set(e.author, 0);
    if (!e.mentions) return;
    for (const id of s.members.keys()) if (mentions(e, id)) s.mentions.set(id, (s.mentions.get(id) ?? 0) + 1);
  } else if (e.kind === "delete" && deletedTarget?.mentions && deletedTarget.threadRoot === undefined) {
    // A deleted message no longer counts for those who had not read it (as countMentions in storage agrees).
    for (const [id, n] of s.mentions)
      if (n > 0 && mentions(deletedTarget, id) && (s.members.get(id)?.readSeq ?? 0) < e.target) s.mentions.set(id, n - 1);
  } else if (e.kind === "member") {
    if (e.action === "add") s.mentions.set(e.userId, 0);
    else if (e.action === "remove" || e.action === "leave") s.mentions.delete(e.userId);
  }
}
