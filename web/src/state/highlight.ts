/**
 * Search hits with their matches marked: the text split into plain and matched pieces, which the
 * view renders as text nodes and <mark> elements (never as HTML, so nothing in a message can become
 * markup). A term matches the start of a word, as the server's prefix search does, and the whole
 * word is marked.
 */
export interface Piece {
  text: string;
  hit: boolean;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export function highlightPieces(text: string, terms: readonly string[]): Piece[] {
  const words = terms.filter((t) => t.length > 0);
  if (words.length === 0 || text === "") return text ? [{ text, hit: false }] : [];
  // Longest first, so "kiwis" wins over "kiwi" where both could start the same word.
  const alternatives = [...words].sort((a, b) => b.length - a.length).map(escape).join("|");
  const re = new RegExp(`(?<![\\p{L}\\p{N}_])(?:${alternatives})[\\p{L}\\p{N}_]*`, "giu");
  const out: Piece[] = [];
  let at = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > at) out.push({ text: text.slice(at, m.index), hit: false });
    out.push({ text: m[0], hit: true });
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push({ text: text.slice(at), hit: false });
  return out;
}
