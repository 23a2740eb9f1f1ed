/**
 * Where "jump to mention" goes: the oldest message after the read cursor that mentions me (my id,
 * "@all" or "@here"; protocol/mentions.ts), found by paging history back from the newest until the
 * cursor. The inbox counts such messages (`mentions` of the summary) but does not say which they are.
 */
import { isBroadcastMention, type ConversationEvent } from "../../../protocol/index.ts";

/** Pages asked at most (200 events each): past that, the oldest one found is good enough. */
const MAX_PAGES = 10;

export function mentionsMe(e: ConversationEvent, me: string): boolean {
  return e.kind === "message" && !e.deleted && e.author !== me && !!e.mentions?.some((m) => m === me || isBroadcastMention(m));
}

export async function oldestUnreadMention(
  history: (before: number | undefined) => Promise<{ events: ConversationEvent[]; hasMore: boolean }>,
  readSeq: number,
  me: string,
): Promise<number | null> {
  let before: number | undefined;
  let found: number | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { events, hasMore } = await history(before);
    if (!events.length) break;
    let oldest = Infinity;
    for (const e of events) {
      oldest = Math.min(oldest, e.seq);
      if (e.seq > readSeq && mentionsMe(e, me)) found = Math.min(found ?? Infinity, e.seq);
    }
    if (!hasMore || oldest <= readSeq + 1) break;
    before = oldest;
  }
  return found;
}
