/** The row a conversation sends to each member's inbox (see InboxActor). */
import type { ConversationSummary, Member } from "../../protocol/index.ts";
import type { State } from "./state.ts";

const PREVIEW_CHARS = 140;
/** Inbox rows carry the first members only: enough for titles, avatars and contacts' presence. */
const SUMMARY_MEMBERS = 50;

export function summaryMembers(s: State): Member[] {
  const out: Member[] = [];
  for (const m of s.members.values()) {
    if (out.length >= SUMMARY_MEMBERS) break;
    out.push({ userId: m.userId, username: m.username, role: m.role });
  }
  return out;
}

export function summaryFor(id: string, s: State, userId: string, members: Member[]): ConversationSummary {
  const last = s.lastMessage;
  return {
    id, type: s.type, title: s.title, ...(s.profile.picture ? { picture: s.profile.picture } : {}), members, lastSeq: s.lastSeq, lastTs: s.lastTs,
    preview: !last ? null : last.kind === "call" ? { author: last.author, text: "", call: { media: last.media, outcome: last.outcome }, ts: last.ts }
      : last.deleted ? { author: last.author, text: "", deleted: true, ts: last.ts } : { author: last.author, text: last.text.slice(0, PREVIEW_CHARS), ts: last.ts },
    unread: s.unread.get(userId) ?? 0,
    mentions: s.mentions.get(userId) ?? 0,
    threads: s.threads?.get(userId) ?? 0,
    readSeq: s.members.get(userId)?.readSeq ?? 0,
    // A read cursor moves when a member reads or writes (own sends count as read): a conversation
    // someone else started and this member never opened does not make them anyone's contact.
    engaged: members.filter((m) => (s.members.get(m.userId)?.readSeq ?? 0) > 0).map((m) => m.userId),
  };
}
