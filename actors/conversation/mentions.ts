/**
 * Mentions in a conversation (rules in protocol/mentions.ts): which a message may carry, and the
 * per-member count of unread messages that mention them, kept beside the unread count (State) and
 * shown in the inbox summary.
 */
import { isBroadcastMention, NexusError, type ConversationEvent, type MessageEvent } from "../../protocol/index.ts";
import type { Working } from "./drafts.ts";
import type { State } from "./state.ts";

/** A message's mentions as stored: each once, each allowed for `author` now; undefined if none. */
export function checkMentions(w: Working, author: string, mentions: string[] | undefined): string[] | undefined {
  if (!mentions?.length) return undefined;
  const out = [...new Set(mentions)];
  for (const m of out) {
    if (isBroadcastMention(m)) {
      if (w.type !== "group") throw new NexusError("bad_request", `${m} is for groups`);
      if (w.members.get(author)?.role !== "admin") throw new NexusError("forbidden", `only group admins may mention ${m}`);
    } else if (!w.members.has(m)) throw new NexusError("bad_request", `mentions must be members: ${m} is not`);
  }
  return out;
}

/** Whether `e` mentions member `userId` (never their own message). */
export function mentions(e: MessageEvent, userId: string): boolean {
  if (!e.mentions || e.author === userId) return false;
  for (const m of e.mentions) if (m === userId || isBroadcastMention(m)) return true;
  return false;
}

/** Counts after applied events (in seq order). An author's own message reads everything before it
 *  (their cursor moved to it), so their count starts again from zero, as their unread count does. */
export function countMentions(s: State, e: ConversationEvent, deletedTarget?: MessageEvent): void {
  if (e.kind === "message") {
    s.mentions.set(e.author, 0);
    if (!e.mentions) return;
    for (const id of s.members.keys()) if (mentions(e, id)) s.mentions.set(id, (s.mentions.get(id) ?? 0) + 1);
  } else if (e.kind === "delete" && deletedTarget?.mentions) {
    // A deleted message no longer counts for those who had not read it (as countMentions in storage agrees).
    for (const [id, n] of s.mentions)
      if (n > 0 && mentions(deletedTarget, id) && (s.members.get(id)?.readSeq ?? 0) < e.target) s.mentions.set(id, n - 1);
  } else if (e.kind === "member") {
    if (e.action === "add") s.mentions.set(e.userId, 0);
    else if (e.action === "remove" || e.action === "leave") s.mentions.delete(e.userId);
  }
}
