import { linkAt, type RunMemo } from "./links.ts";

/**
 * Inline markup of a message: **bold** (or __bold__), *italic* (or _italic_), ~~strike~~,
 * `code`, bare http(s) URLs and @mentions. The result is data (a tree of plain strings); the
 * renderer makes elements from it, so no text ever becomes HTML.
 *
 * Bounded work: each nesting level scans its text once, closers are searched forward only (and a
 * search's answer is remembered for the later openers of the same kind), and nesting stops at
 * MAX_DEPTH, past which markers are text.
 */
export type Inline =
  | { t: "text"; text: string }
  | { t: "code"; text: string }
  | { t: "link"; text: string; href: string }
  | { t: "mention"; text: string; userId: string }
  | { t: "bold" | "italic" | "strike"; children: Inline[] };

/** Who `@name` means (a member's user id, or "@all"/"@here"), or undefined if nobody. */
export type MentionLookup = (name: string) => string | undefined;

export const MAX_DEPTH = 4;
const KIND = { "**": "bold", __: "bold", "*": "italic", _: "italic", "~~": "strike" } as const;
type Delim = keyof typeof KIND;
const SPACE = /\s/;
const WORD = /[\p{L}\p{N}]/u;
const NAME = /[a-z0-9_.-]/i;

export function parseInline(s: string, mentionOf?: MentionLookup, depth = 0): Inline[] {
  const out: Inline[] = [];
  let buf = "";
  const flush = () => {
    if (buf) out.push({ t: "text", text: buf });
    buf = "";
  };
  // Per delimiter: the first valid closer at or after `from` (-1: none), so later searches reuse it.
  const cache = new Map<string, { from: number; at: number }>();
  const closer = (d: string, q: number): number => {
    const c = cache.get(d);
    if (c && c.from <= q && (c.at === -1 || c.at >= q)) return c.at;
    let p = s.indexOf(d, q);
    while (p !== -1 && !canClose(s, p, d)) p = s.indexOf(d, p + 1);
    cache.set(d, { from: q, at: p });
    return p;
  };

  const run: RunMemo = { end: -1 };
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === "`") {
      const j = closer("`", i + 1);
      if (j > i + 1) {
        flush();
        out.push({ t: "code", text: s.slice(i + 1, j) });
        i = j + 1;
        continue;
      }
    } else if (c === "h" || c === "H") {
      const link = linkAt(s, i, run);
      if (link) {
        flush();
        out.push({ t: "link", text: link.text, href: link.href });
        i = link.end;
        continue;
      }
    } else if (c === "@" && mentionOf && (i === 0 || !WORD.test(s[i - 1]!))) {
      let j = i + 1;
      while (j < s.length && NAME.test(s[j]!)) j++;
      // A name does not end in "." or "-" ("ask @bob." mentions bob).
      while (j > i + 1 && /[.-]/.test(s[j - 1]!)) j--;
      const userId = j > i + 1 ? mentionOf(s.slice(i + 1, j).toLowerCase()) : undefined;
      if (userId) {
        flush();
        out.push({ t: "mention", text: s.slice(i, j), userId });
        i = j;
        continue;
      }
    } else {
      const d = delimAt(s, i);
      if (d && depth < MAX_DEPTH && canOpen(s, i, d)) {
        const j = closer(d, i + d.length + 1);
        if (j !== -1) {
          flush();
          out.push({ t: KIND[d], children: parseInline(s.slice(i + d.length, j), mentionOf, depth + 1) });
          i = j + d.length;
          continue;
        }
      }
      if (d) {
        // Not an opener here: the whole marker is text (so "**" is never re-read as two "*").
        buf += d;
        i += d.length;
        continue;
      }
    }
    buf += c;
    i++;
  }
  flush();
  return out;
}

function delimAt(s: string, i: number): Delim | null {
  const c = s[i];
  const two = s.slice(i, i + 2);
  if (two === "**" || two === "__" || two === "~~") return two;
  if (c === "*" || c === "_") return c;
  return null;
}

/** An opener is followed by a non-space; "_" also must not sit inside a word (snake_case_names). */
function canOpen(s: string, i: number, d: Delim): boolean {
  const next = s[i + d.length];
  if (next === undefined || SPACE.test(next)) return false;
  if (d[0] === "_" && i > 0 && WORD.test(s[i - 1]!)) return false;
  return true;
}

/** A closer follows a non-space and is not part of a longer run of its character. */
function canClose(s: string, p: number, d: string): boolean {
  if (d === "`") return true;
  const prev = s[p - 1];
  if (prev === undefined || SPACE.test(prev) || prev === d[0]) return false;
  const after = s[p + d.length];
  if (after === d[0]) return false;
  if (d[0] === "_" && after !== undefined && WORD.test(after)) return false;
  return true;
}
