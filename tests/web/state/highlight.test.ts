import { describe, expect, test } from "bun:test";
import { highlightPieces } from "../../../web/src/state/highlight.ts";

describe("search highlight pieces", () => {
  test("marks whole words that start with a term, any case, and leaves the rest as text", () => {
    expect(highlightPieces("Kiwi harvest: kiwis and akiwi", ["kiwi"])).toEqual([
      { text: "Kiwi", hit: true },
      { text: " harvest: ", hit: false },
      { text: "kiwis", hit: true },
      { text: " and akiwi", hit: false },
    ]);
  });

  test("several terms, letters beyond ASCII, and markup-looking text stays text", () => {
    expect(highlightPieces("<b>Über</b> café", ["über", "caf"])).toEqual([
      { text: "<b>", hit: false },
      { text: "Über", hit: true },
      { text: "</b> ", hit: false },
      { text: "café", hit: true },
    ]);
    // Regex characters in a term are literal.
    expect(highlightPieces("a (b) [c] b", ["(b)", "[", "."])).toEqual([
      { text: "a ", hit: false },
      { text: "(b)", hit: true },
      { text: " ", hit: false },
      { text: "[c", hit: true },
      { text: "] b", hit: false },
    ]);
    expect(highlightPieces("nothing here", [])).toEqual([{ text: "nothing here", hit: false }]);
    expect(highlightPieces("", ["x"])).toEqual([]);
  });
});
