import { MENTION_ALL, MENTION_HERE } from "../../../protocol/index.ts";
import type { MentionLookup } from "./markup/inline.ts";

/**
 * Mentions in the web client: what the composer suggests while "@na" is being typed, which member
 * ids a message's "@name"s stand for when it is sent (protocol/mentions.ts), and, when showing a
 * message, which "@name"s are its stored mentions (only those are highlighted).
 */
export interface Mentionable {
  userId: string;
  username: string;
  /** Shown beside @username and matched too; what is inserted is always the username. */
  displayName?: string;
}

const NAME_CHAR = /[a-z0-9_.-]/i;
const WORD = /[\p{L}\p{N}]/u;
const BROADCAST: Mentionable[] = [
  { userId: MENTION_ALL, username: "all" },
  { userId: MENTION_HERE, username: "here" },
];

/** The "@partial" the caret stands in or after, if any. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  let i = caret;
  while (i > 0 && NAME_CHAR.test(text[i - 1]!)) i--;
  const at = i - 1;
  if (at < 0 || text[at] !== "@" || (at > 0 && WORD.test(text[at - 1]!))) return null;
  return { start: at, query: text.slice(i, caret).toLowerCase() };
}

/** Members (not me) whose name starts with the query, then those that contain it; "@all"/"@here"
 *  only where I may use them (a group admin). */
export function suggestions(members: Mentionable[], query: string, me: string, broadcast: boolean, limit = 6): Mentionable[] {
  const pool = [...members.filter((m) => m.userId !== me), ...(broadcast ? BROADCAST : [])];
  const names = (m: Mentionable) => [m.username.toLowerCase(), ...(m.displayName ? m.displayName.toLowerCase().split(/\s+/) : [])];
  const starts = pool.filter((m) => names(m).some((n) => n.startsWith(query)));
  const contains = pool.filter((m) => !starts.includes(m) && (m.username.toLowerCase().includes(query) || !!m.displayName?.toLowerCase().includes(query)));
  return [...starts, ...contains].slice(0, limit);
}

/** The text with the "@partial" at `q` replaced by "@username ", and where the caret goes. */
export function insertMention(text: string, caret: number, q: { start: number }, username: string): { text: string; caret: number } {
  const inserted = `@${username} `;
  return { text: text.slice(0, q.start) + inserted + text.slice(caret), caret: q.start + inserted.length };
}

/** The mentions to send with `text`: every "@name" of a member (not me), each once, and
 *  "@all"/"@here" when allowed. Typed or picked, the same names count. */
export function mentionsIn(text: string, members: Mentionable[], me: string, broadcast: boolean): string[] {
  const byName = new Map(members.filter((m) => m.userId !== me).map((m) => [m.username.toLowerCase(), m.userId]));
  if (broadcast) for (const b of BROADCAST) byName.set(b.username, b.userId);
  const out = new Set<string>();
  for (const m of text.matchAll(/(^|[^\p{L}\p{N}])@([a-z0-9_.-]+)/giu)) {
    const name = m[2]!.replace(/[.-]+$/, "").toLowerCase();
    const id = byName.get(name);
    if (id) out.add(id);
  }
  return [...out];
}

/** For showing a message: "@name" means someone only if their id is among its stored mentions. */
export function storedMentionLookup(mentions: string[] | undefined, nameOf: (userId: string) => string): MentionLookup | undefined {
  if (!mentions?.length) return undefined;
  const byName = new Map<string, string>();
  for (const id of mentions) byName.set(id === MENTION_ALL ? "all" : id === MENTION_HERE ? "here" : nameOf(id).toLowerCase(), id);
  return (name) => byName.get(name);
}
