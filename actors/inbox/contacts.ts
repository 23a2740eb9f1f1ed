/**
 * The presence rule ("contacts only"), from a user's inbox rows. A person's presence and last seen
 * are shown only to the members of conversations that person has taken part in: written in, or
 * opened and read (their read cursor moved; own sends move it too). Being put in a conversation by
 * someone else (a direct chat or a group nobody asked you about) does not expose you until you
 * answer or open it. Used by the inbox (who hears my changes, whose presence my welcome lists)
 * and by GET /v1/presence, so REST and sockets follow one rule.
 */
import type { ConversationSummary } from "../../protocol/index.ts";

/** Who hears `self`'s presence changes: the members of the rows `self` has taken part in. */
export function audienceOf(self: string, rows: Iterable<ConversationSummary>, max: number): string[] {
  const set = new Set<string>();
  for (const r of rows) {
    if (r.readSeq <= 0) continue;
    for (const m of r.members) if (m.userId !== self) set.add(m.userId);
    if (set.size >= max) break;
  }
  return [...set];
}

/** Whose presence `self` may see: members who took part in a conversation `self` is in. */
export function visibleTo(self: string, rows: Iterable<ConversationSummary>, max: number): string[] {
  const set = new Set<string>();
  for (const r of rows) {
    for (const u of r.engaged ?? []) if (u !== self) set.add(u);
    if (set.size >= max) break;
  }
  return [...set];
}
