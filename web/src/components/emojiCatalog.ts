/**
 * Every emoji, for the reaction picker's search: Emojibase's English dataset (emojibase-data), read
 * lazily the first time someone opens the full picker, so the main bundle does not carry it (it is
 * its own chunk, ~570 kB of JSON before compression).
 */
export interface EmojiEntry {
  emoji: string;
  label: string;
  /** Lower-case words of the label, then the tags, for matching. */
  words: string[];
  /** How many of `words` come from the label. */
  labelWords: number;
}

let catalog: Promise<EmojiEntry[]> | null = null;

export function loadEmojiCatalog(): Promise<EmojiEntry[]> {
  catalog ??= import("emojibase-data/en/compact.json").then((m) =>
    (m.default as Array<{ unicode: string; label: string; tags?: string[]; group?: number; order?: number }>)
      // Group 2 is the skin-tone and hair components; entries without a group are regional indicators.
      .filter((e) => e.group !== undefined && e.group !== 2)
      .sort((a, b) => (a.order ?? 0) - (b.order ?? 0))
      .map((e) => {
        const label = e.label.toLowerCase().split(/[\s:,]+/).filter(Boolean);
        return { emoji: e.unicode, label: e.label, words: [...label, ...(e.tags ?? [])], labelWords: label.length };
      }),
  ).catch((err) => {
    catalog = null; // a failed chunk load (offline) can be tried again
    throw err;
  });
  return catalog;
}

/** Emoji whose every query word starts one of its words ("thumb up" finds 👍), in catalog order;
 *  those matched by their name come before those matched by a tag only ("rocket": 🚀 before 🧑‍🚀). */
export function searchEmoji(all: EmojiEntry[], query: string, limit = 240): EmojiEntry[] {
  const q = query.toLowerCase().split(/\s+/).filter(Boolean);
  const byName: EmojiEntry[] = [];
  const byTag: EmojiEntry[] = [];
  for (const e of all) {
    if (q.every((w) => e.words.some((x, i) => i < e.labelWords && x.startsWith(w)))) byName.push(e);
    else if (byTag.length < limit && q.every((w) => e.words.some((x) => x.startsWith(w)))) byTag.push(e);
  }
  return [...byName, ...byTag].slice(0, limit);
}
