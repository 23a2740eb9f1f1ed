/**
 * Which mentions a message may carry (protocol/mentions.ts), checked when the message is applied
 * (drafts.ts), and whom a stored message mentions. Depends on nothing of the actor, so the draft
 * rules and the counting (mentionCounts.ts) can both use it.
 */
import { isBroadcastMention, NexusError, type MessageEvent, type Role } from "../../protocol/index.ts";

/** A message's mentions as stored: each once, each allowed for `author` now; undefined if none. */
export function checkMentions(
  type: "direct" | "group",
  members: ReadonlyMap<string, { role: Role }>,
  author: string,
  mentions: string[] | undefined,
): string[] | undefined {
  if (!mentions?.length) return undefined;
  const out = [...new Set(mentions)];
  for (const m of out) {
    if (isBroadcastMention(m)) {
      if (type !== "group") throw new NexusError("bad_request", `${m} is for groups`);
      if (members.get(author)?.role !== "admin") throw new NexusError("forbidden", `only group admins may mention ${m}`);
    } else if (!members.has(m)) throw new NexusError("bad_request", `mentions must be members: ${m} is not`);
  }
  return out;
}

/** Whether `e` mentions member `userId` (never their own message). */
export function mentions(e: MessageEvent, userId: string): boolean {
  if (!e.mentions || e.author === userId) return false;
  for (const m of e.mentions) if (m === userId || isBroadcastMention(m)) return true;
  return false;
}
