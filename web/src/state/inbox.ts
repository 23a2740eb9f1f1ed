import type { ConversationSummary, Presence } from "../../../protocol/index.ts";

/**
 * The conversation list: summaries keyed by id, ordered by last activity (newest first).
 * Fed by the inbox socket (`inbox`, `conv`, `removed`) and by local actions.
 */
export function upsertSummary(list: ConversationSummary[], c: ConversationSummary): ConversationSummary[] {
  const prev = list.find((x) => x.id === c.id);
  // Frames can cross on the wire: never let an older summary overwrite a newer one.
  if (prev && prev.lastSeq > c.lastSeq) return list;
  return sortByActivity([...list.filter((x) => x.id !== c.id), c]);
}

export function removeSummary(list: ConversationSummary[], id: string): ConversationSummary[] {
  return list.filter((x) => x.id !== id);
}

export function sortByActivity(list: ConversationSummary[]): ConversationSummary[] {
  return [...list].sort((a, b) => b.lastTs - a.lastTs || a.id.localeCompare(b.id));
}

/** The person is looking at it: zero the badge locally until the server agrees. */
export function markRead(list: ConversationSummary[], id: string, seq: number): ConversationSummary[] {
  return list.map((x) => (x.id === id && x.readSeq < seq ? { ...x, readSeq: seq, unread: 0, mentions: 0 } : x));
}

export function totalUnread(list: ConversationSummary[]): number {
  return list.reduce((n, c) => n + c.unread, 0);
}

export function presenceMap(list: Presence[]): Record<string, Presence> {
  return Object.fromEntries(list.map((p) => [p.userId, p]));
}

/** Title of a direct chat is the other person's name (`nameOf`: their display name, when known). */
export function displayTitle(
  c: Pick<ConversationSummary, "type" | "title" | "members">,
  meId: string,
  nameOf: (userId: string, username: string) => string = (_id, username) => username,
): string {
  const other = c.type === "direct" ? c.members.find((m) => m.userId !== meId) : undefined;
  return other ? nameOf(other.userId, other.username) : c.title;
}

export function otherMember(c: Pick<ConversationSummary, "type" | "members">, meId: string) {
  return c.type === "direct" ? c.members.find((m) => m.userId !== meId) : undefined;
}

export function lastSeenLabel(p: Presence | undefined, now = Date.now()): string {
  if (!p) return "";
  if (p.status === "online") return "online";
  if (p.status === "away") return "away";
  if (!p.lastSeen) return "offline";
  const mins = Math.round((now - p.lastSeen) / 60_000);
  if (mins < 1) return "last seen just now";
  if (mins < 60) return `last seen ${mins} min ago`;
  const hours = Math.round(mins / 60);
  if (hours < 24) return `last seen ${hours} h ago`;
  return `last seen ${new Date(p.lastSeen).toLocaleDateString()}`;
}
