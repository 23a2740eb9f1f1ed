import { describe, expect, test } from "bun:test";
import { type Block, parseBlocks } from "../../../web/src/state/markup/blocks.ts";
import { type Inline, parseInline } from "../../../web/src/state/markup/inline.ts";
import { linkAt } from "../../../web/src/state/markup/links.ts";

const text = (s: string): Inline => ({ t: "text", text: s });
/** Every href anywhere in a parse tree. */
function hrefs(nodes: (Inline | Block)[]): string[] {
  const out: string[] = [];
  const walk = (n: Inline | Block) => {
    if (n.t === "link") out.push(n.href);
    if ("children" in n) n.children.forEach(walk);
    if (n.t === "para") n.inline.forEach(walk);
    if (n.t === "quote") n.blocks.forEach(walk);
    if (n.t === "list") n.items.flat().forEach(walk);
  };
  nodes.forEach(walk);
  return out;
}
/** The text a tree renders (what a browser's textContent would give, blocks concatenated). */
function plain(nodes: (Inline | Block)[]): string {
  return nodes
    .map((n): string => {
      if (n.t === "text" || n.t === "code" || n.t === "link" || n.t === "mention") return n.text;
      if (n.t === "para") return plain(n.inline);
      if (n.t === "quote") return plain(n.blocks);
      if (n.t === "list") return n.items.map(plain).join("");
      return plain(n.children);
    })
    .join("");
}

describe("inline formatting", () => {
  test("bold, italic, strike, code, and their underscore forms", () => {
    expect(parseInline("a **b** c")).toEqual([text("a "), { t: "bold", children: [text("b")] }, text(" c")]);
    expect(parseInline("*i* and _j_")).toEqual([{ t: "italic", children: [text("i")] }, text(" and "), { t: "italic", children: [text("j")] }]);
    expect(parseInline("~~gone~~")).toEqual([{ t: "strike", children: [text("gone")] }]);
    expect(parseInline("__b__")).toEqual([{ t: "bold", children: [text("b")] }]);
    expect(parseInline("run `npm **test**` now")).toEqual([text("run "), { t: "code", text: "npm **test**" }, text(" now")]);
  });

  test("nesting: italic inside bold inside strike", () => {
    expect(parseInline("~~**a *b* c**~~")).toEqual([
      { t: "strike", children: [{ t: "bold", children: [text("a "), { t: "italic", children: [text("b")] }, text(" c")] }] },
    ]);
  });

  test("markers that open or close nothing stay text", () => {
    for (const s of ["2 * 3 * 4", "snake_case_name", "**", "a ** b", "* not italic*", "unclosed **bold", "``", "~~ x~~", "x_y_z"]) {
      expect(plain(parseInline(s))).toBe(s);
      expect(parseInline(s).every((n) => n.t === "text")).toBe(true);
    }
  });
});

describe("links", () => {
  test("bare http and https URLs become links; trailing punctuation and an unopened ) stay out", () => {
    expect(parseInline("see https://example.org/a?b=1.")).toEqual([text("see "), { t: "link", text: "https://example.org/a?b=1", href: "https://example.org/a?b=1" }, text(".")]);
    expect(hrefs(parseInline("(at http://x.org/wiki/A_(b))"))).toEqual(["http://x.org/wiki/A_(b)"]);
    expect(hrefs(parseInline("**https://x.org/a_b_c**"))).toEqual(["https://x.org/a_b_c"]);
  });

  test("no other scheme ever becomes a link", () => {
    for (const s of ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:x", "ftp://x.org", "xhttps://x.org", "http://", "https://[bad"]) {
      expect(hrefs(parseBlocks(s))).toEqual([]);
      expect(plain(parseBlocks(s))).toBe(s);
    }
  });

  test("[x](javascript:…) is text; [x](https://…) links only the URL", () => {
    const evil = "[click](javascript:alert(document.cookie))";
    expect(parseInline(evil)).toEqual([text(evil)]);
    expect(hrefs(parseInline("[x](https://ok.org)"))).toEqual(["https://ok.org/"]);
  });

  test("a URL stops at characters that could leave an attribute", () => {
    const l = linkAt('https://x.org/"onmouseover="alert(1)', 0)!;
    expect(l.href).toBe("https://x.org/");
    expect(linkAt("https://x.org/<script>", 0)!.text).toBe("https://x.org/");
  });
});

describe("XSS attempts stay text", () => {
  test("HTML in any position is plain text in the tree", () => {
    const attempts = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "**<b onclick=x>**", "`<iframe>`", "> <svg onload=alert(1)>", "- <a href=javascript:x>y</a>", "```\n<script>\n```"];
    for (const s of attempts) {
      const tree = parseBlocks(s);
      expect(hrefs(tree)).toEqual([]);
      // Every "<" the user typed is still there as text (the renderer makes text nodes of it).
      expect(plain(tree).split("<").length).toBe(s.split("<").length);
    }
  });
});

describe("mentions", () => {
  const members: Record<string, string> = { bob: "u_bob", "a.l-ice": "u_alice", all: "@all" };
  const lookup = (n: string) => members[n];
  test("@name of a member (case-insensitive, trailing '.' not part of it) is a mention; others are text", () => {
    expect(parseInline("hi @Bob. and @carol", lookup)).toEqual([text("hi "), { t: "mention", text: "@Bob", userId: "u_bob" }, text(". and @carol")]);
    expect(parseInline("@a.l-ice!", lookup)[0]).toEqual({ t: "mention", text: "@a.l-ice", userId: "u_alice" });
    expect(parseInline("mail bob@bob.org", lookup)).toEqual([text("mail bob@bob.org")]);
    expect(parseInline("@all", lookup)).toEqual([{ t: "mention", text: "@all", userId: "@all" }]);
  });
});

describe("blocks", () => {
  test("code fence, quote, bullet and numbered lists, paragraphs keep their newlines", () => {
    const tree = parseBlocks("hello\nworld\n```js\nconst a = **1**;\n```\n> quoted *x*\n> more\n- one\n* two\n3. three\n4) four\nend");
    expect(tree.map((b) => b.t)).toEqual(["para", "code", "quote", "list", "list", "para"]);
    expect(tree[0]).toEqual({ t: "para", inline: [text("hello\nworld")] });
    expect(tree[1]).toEqual({ t: "code", text: "const a = **1**;" });
    expect(tree[2]).toEqual({ t: "quote", blocks: [{ t: "para", inline: [text("quoted "), { t: "italic", children: [text("x")] }, text("\nmore")] }] });
    expect(tree[3]).toEqual({ t: "list", ordered: false, start: 1, items: [[text("one")], [text("two")]] });
    expect(tree[4]).toEqual({ t: "list", ordered: true, start: 3, items: [[text("three")], [text("four")]] });
  });

  test("an unclosed fence runs to the end; quotes nest only 3 deep", () => {
    expect(parseBlocks("```\nx\ny")).toEqual([{ t: "code", text: "x\ny" }]);
    let b = parseBlocks(">>>>> deep")[0]!;
    let depth = 0;
    while (b.t === "quote") (depth++, (b = b.blocks[0]!));
    expect(depth).toBe(3);
    expect(b).toEqual({ t: "para", inline: [text(">> deep")] });
  });
});

describe("bounded time on hostile 10k-character inputs", () => {
  const cases: Record<string, string> = {
    stars: "*".repeat(10_000),
    openers: "*a ".repeat(3_334),
    underscores: " _x_y".repeat(2_000),
    nested: "**a *b ~~c ".repeat(1_000),
    deepNest: "~~**_*".repeat(1_700) + "x" + "*_**~~".repeat(1_700),
    backticks: "`a".repeat(5_000),
    urls: "https://a.org/((((".repeat(600),
    failingUrls: "https://[".repeat(1_100),
    quotes: ">".repeat(10_000),
    lists: "- *x\n".repeat(2_000),
    mentions: "@bob".repeat(2_500),
  };
  for (const [name, input] of Object.entries(cases)) {
    test(name, () => {
      const t0 = performance.now();
      const tree = parseBlocks(input, (n) => (n === "bob" ? "u_bob" : undefined));
      const ms = performance.now() - t0;
      // Nothing is lost or invented: the rendered text is the input minus markers and line structure.
      expect(plain(tree).length).toBeLessThanOrEqual(input.length);
      expect(ms).toBeLessThan(250);
    });
  }
});
