/**
 * Every emoji, for the reaction picker's search: Emojibase's English dataset (emojibase-data), read
 * lazily the first time someone opens the full picker, so the main bundle does not carry it (it is
 * its own chunk, ~570 kB of JSON before compression).
 */
export interface EmojiEntry {
  emoji: string;
  label: string;
  /** Lower-case label and tags, for matching. */
  words: string[];
}

let catalog: Promise<EmojiEntry[]> | null = null;

export function loadEmojiCatalog(): Promise<EmojiEntry[]> {
  catalog ??= import("emojibase-data/en/compact.json").then((m) =>
    (m.default as Array<{ unicode: string; label: string; tags?: string[]; group?: number; order?: number }>)
      // Group 2 is the skin-tone and hair components; entries without a group are regional indicators.
      .filter((e) => e.group !== undefined && e.group !== 2)
      .sort((a, b) => (a.order ?? 0) - (b.order ?? 0))
      .map((e) => ({ emoji: e.unicode, label: e.label, words: [...e.label.toLowerCase().split(/[\s:,]+/), ...(e.tags ?? [])] })),
  ).catch((err) => {
    catalog = null; // a failed chunk load (offline) can be tried again
    throw err;
  });
  return catalog;
}

/** Emoji whose every query word starts one of its words ("thumb up" finds 👍), in catalog order. */
export function searchEmoji(all: EmojiEntry[], query: string, limit = 240): EmojiEntry[] {
  const q = query.toLowerCase().split(/\s+/).filter(Boolean);
  const out: EmojiEntry[] = [];
  for (const e of all) {
    if (q.every((w) => e.words.some((x) => x.startsWith(w)))) out.push(e);
    if (out.length >= limit) break;
  }
  return out;
}
