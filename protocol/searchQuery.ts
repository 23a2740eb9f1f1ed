import { NexusError } from "./errors.ts";

/**
 * The search box's language, parsed in one place (the edge; the web client shows the same terms):
 * words (every one must match, each as a prefix) and filters
 *   from:username   messages by that user (repeat for any of several)
 *   in:title        conversations whose title (a group's) or other member's name (a direct chat's)
 *                   contains it; quote it when it has spaces: in:"team chat"
 *   before:YYYY-MM-DD / after:YYYY-MM-DD   sent before that day began / after that day ended, in the
 *                   caller's time zone (`tz`, minutes as Date.getTimezoneOffset gives them)
 *   has:attachment  messages with at least one attachment
 * Anything else (including an unknown `key:value`) is words.
 */
export interface ParsedSearch {
  /** Words to match, as the full-text index splits them (letters, digits, _); at most 16. */
  words: string[];
  from: string[];
  in: string[];
  /** Epoch ms bounds: ts >= after, ts < before. */
  after?: number;
  before?: number;
  hasAttachment: boolean;
}

/** What one conversation's search receives (the edge resolves names and titles first). */
export interface MessageSearch {
  words: string[];
  /** Only messages by these user ids (absent: anyone). */
  authors?: string[];
  after?: number;
  before?: number;
  hasAttachment?: boolean;
  /** Paging: only hits strictly below this (ts, seq) in the order ts, then seq, descending. */
  below?: { ts: number; seq: number };
}

const TOKEN = /(\w+):"([^"]*)"?|(\w+):(\S*)|"([^"]*)"?|(\S+)/g;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Words as the index splits them (the FTS5 unicode61 tokenizer keeps letters, digits and _). */
export const wordsOf = (text: string): string[] => text.match(/[\p{L}\p{N}_]+/gu) ?? [];

function dayStart(value: string, key: string, tzOffsetMin: number): number {
  const m = DATE.exec(value);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  // Date.UTC rolls 2026-02-31 over to March: a date that does not round-trip is not a date.
  if (!m || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== value)
    throw new NexusError("bad_request", `${key}: expects a date as YYYY-MM-DD, got "${value}"`);
  return t + tzOffsetMin * 60_000;
}

export function parseSearchQuery(q: string, tzOffsetMin = 0): ParsedSearch {
  const out: ParsedSearch = { words: [], from: [], in: [], hasAttachment: false };
  for (const m of q.matchAll(TOKEN)) {
    const key = (m[1] ?? m[3])?.toLowerCase();
    const value = m[2] ?? m[4] ?? "";
    if (key === "from") out.from.push(value.replace(/^@/, "").toLowerCase());
    else if (key === "in") out.in.push(value.toLowerCase());
    else if (key === "before") out.before = Math.min(out.before ?? Infinity, dayStart(value, key, tzOffsetMin));
    else if (key === "after") out.after = Math.max(out.after ?? -Infinity, dayStart(value, key, tzOffsetMin) + DAY_MS);
    else if (key === "has") {
      if (!/^(attachments?|files?)$/i.test(value)) throw new NexusError("bad_request", `has: only has:attachment is known, got "${value}"`);
      out.hasAttachment = true;
    } else out.words.push(...wordsOf(m[0]));
  }
  if (out.from.some((f) => f === "") || out.in.some((i) => i === "")) throw new NexusError("bad_request", "from: and in: need a value");
  out.words = [...new Set(out.words.map((w) => w.toLowerCase()))].slice(0, 16);
  if (out.words.length === 0 && !out.from.length && !out.in.length && out.after === undefined && out.before === undefined && !out.hasAttachment)
    throw new NexusError("bad_request", "say what to search for: words or a filter (from:, in:, before:, after:, has:attachment)");
  return out;
}
