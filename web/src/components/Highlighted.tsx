import { For } from "solid-js";
import { highlightPieces } from "../state/highlight.ts";

/** Text with the search's matches in <mark>: pieces are text nodes, never HTML (state/highlight.ts). */
export function Highlighted(props: { text: string; terms: readonly string[] }) {
  return <For each={highlightPieces(props.text, props.terms)}>{(p) => (p.hit ? <mark data-testid="search-match">{p.text}</mark> : p.text)}</For>;
}
