import { describe, expect, test } from "bun:test";
import { insertMention, mentionQuery, mentionsIn, storedMentionLookup, suggestions } from "../../../web/src/state/mentionPicks.ts";
import { parseInline } from "../../../web/src/state/markup/inline.ts";

const members = [
  { userId: "u_me", username: "me" },
  { userId: "u_bob", username: "bob" },
  { userId: "u_bobby", username: "bobby" },
  { userId: "u_abe", username: "abe" },
];

describe("composer mentions", () => {
  test("the @partial at the caret; none inside a word (an email address) or after a space", () => {
    expect(mentionQuery("hi @bo", 6)).toEqual({ start: 3, query: "bo" });
    expect(mentionQuery("@", 1)).toEqual({ start: 0, query: "" });
    expect(mentionQuery("mail me@bo", 10)).toBeNull();
    expect(mentionQuery("hi @bob there", 13)).toBeNull();
  });

  test("suggestions: prefix matches first, never me, @all/@here only when allowed", () => {
    expect(suggestions(members, "b", "u_me", false).map((m) => m.username)).toEqual(["bob", "bobby", "abe"]);
    expect(suggestions(members, "", "u_me", false).map((m) => m.userId)).not.toContain("u_me");
    expect(suggestions(members, "a", "u_me", true).map((m) => m.userId)).toEqual(["u_abe", "@all"]);
    expect(suggestions(members, "a", "u_me", false).map((m) => m.userId)).toEqual(["u_abe"]);
  });

  test("picking replaces the partial and puts the caret after it", () => {
    expect(insertMention("hi @bo!", 6, { start: 3 }, "bobby")).toEqual({ text: "hi @bobby !", caret: 10 });
  });

  test("ids sent: members named in the text, each once; not me; @all only when allowed", () => {
    expect(mentionsIn("@Bob and @bobby, @bob. @carol me@bob.org @me", members, "u_me", false)).toEqual(["u_bob", "u_bobby"]);
    expect(mentionsIn("@all @here", members, "u_me", false)).toEqual([]);
    expect(mentionsIn("@all @here", members, "u_me", true)).toEqual(["@all", "@here"]);
  });

  test("showing a message: only its stored mentions are highlighted", () => {
    const lookup = storedMentionLookup(["u_bob", "@all"], (id) => members.find((m) => m.userId === id)?.username ?? id)!;
    const nodes = parseInline("@bob @bobby @all", lookup);
    expect(nodes.filter((n) => n.t === "mention").map((n) => (n as { userId: string }).userId)).toEqual(["u_bob", "@all"]);
    expect(storedMentionLookup(undefined, (x) => x)).toBeUndefined();
  });
});
