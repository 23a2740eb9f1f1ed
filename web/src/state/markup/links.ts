/**
 * Bare URLs in message text. Only http and https become links: anything else (javascript:, data:,
 * vbscript:, a scheme typed to look like http) stays text, because the href is whatever the parser
 * returns here and nothing else decides.
 */

const SCHEME = /^https?:\/\//i;
/** Characters that end a URL outright (whitespace and what would close an HTML attribute or code). */
const STOP = /[\s<>"`]/g;
/** Punctuation that ends a sentence rather than belonging to the URL ("see https://x.org."). */
const TRAILING = /[.,;:!?'*_~\]]/;
/** Longer URLs are not linked (it also bounds the trimming work per URL start). */
export const MAX_URL = 2048;

/** Where the run of non-stop characters around `i` ends, remembered between calls on one string:
 *  many URL starts inside one run ("https://[" x 1000) then cost one scan, not one each. */
export interface RunMemo {
  end: number;
}

/** The link starting at `i`, if there is one: its text as typed, its normalized href and its end. */
export function linkAt(s: string, i: number, memo: RunMemo = { end: -1 }): { text: string; href: string; end: number } | null {
  // A scheme in the middle of a word ("xhttps://") is not a link start.
  if (i > 0 && /[\p{L}\p{N}]/u.test(s[i - 1]!)) return null;
  if (!SCHEME.test(s.slice(i, i + 8))) return null;
  if (memo.end <= i) {
    STOP.lastIndex = i;
    memo.end = STOP.exec(s)?.index ?? s.length;
  }
  let j = memo.end;
  if (j - i > MAX_URL) return null;
  // Trim sentence punctuation, and a ")" with no "(" inside the URL ("(see https://x.org/a)").
  for (;;) {
    const last = s[j - 1]!;
    if (TRAILING.test(last)) j--;
    else if (last === ")" && count(s, i, j, "(") < count(s, i, j, ")")) j--;
    else break;
  }
  const text = s.slice(i, j);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) return null;
  return { text, href: url.href, end: j };
}

function count(s: string, from: number, to: number, ch: string): number {
  let n = 0;
  for (let k = from; k < to; k++) if (s[k] === ch) n++;
  return n;
}
