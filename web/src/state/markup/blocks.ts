import { type Inline, type MentionLookup, parseInline } from "./inline.ts";

/**
 * The block structure of a message, line by line: ``` fenced code, > quotes, - / * / 1. lists,
 * and paragraphs (runs of other lines, kept with their newlines: the bubble is pre-wrap).
 * Quotes nest at most MAX_QUOTE_DEPTH deep; deeper ">" are text.
 */
export type Block =
  | { t: "para"; inline: Inline[] }
  | { t: "code"; text: string }
  | { t: "quote"; blocks: Block[] }
  | { t: "list"; ordered: boolean; start: number; items: Inline[][] };

export const MAX_QUOTE_DEPTH = 3;
const FENCE_OPEN = /^ {0,3}```[\w+.-]*\s*$/;
const FENCE_CLOSE = /^ {0,3}```\s*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const BULLET = /^ {0,3}[-*+]\s+(.*)$/;
const NUMBERED = /^ {0,3}(\d{1,9})[.)]\s+(.*)$/;

export function parseBlocks(text: string, mentionOf?: MentionLookup, depth = 0): Block[] {
  const lines = text.split("\n");
  const out: Block[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length) out.push({ t: "para", inline: parseInline(para.join("\n"), mentionOf) });
    para = [];
  };

  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (FENCE_OPEN.test(line)) {
      flush();
      let j = i + 1;
      while (j < lines.length && !FENCE_CLOSE.test(lines[j]!)) j++;
      // An unclosed fence runs to the end of the message (as in GitHub's Markdown).
      out.push({ t: "code", text: lines.slice(i + 1, j).join("\n") });
      i = j + 1;
      continue;
    }
    if (depth < MAX_QUOTE_DEPTH && QUOTE.test(line)) {
      flush();
      const inner: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i]!)) inner.push(QUOTE.exec(lines[i++]!)![1]!);
      out.push({ t: "quote", blocks: parseBlocks(inner.join("\n"), mentionOf, depth + 1) });
      continue;
    }
    const bullet = BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    if (bullet || numbered) {
      flush();
      const ordered = !!numbered;
      const re = ordered ? NUMBERED : BULLET;
      const items: Inline[][] = [];
      let m: RegExpExecArray | null;
      while (i < lines.length && (m = re.exec(lines[i]!))) {
        items.push(parseInline(m[ordered ? 2 : 1]!, mentionOf));
        i++;
      }
      out.push({ t: "list", ordered, start: numbered ? Number(numbered[1]) : 1, items });
      continue;
    }
    para.push(line);
    i++;
  }
  flush();
  return out;
}
