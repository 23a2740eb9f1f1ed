import { describe, expect, test } from "bun:test";
import { isNexusError, parseSearchQuery } from "../../protocol/index.ts";

const refused = (q: string) => {
  try {
    parseSearchQuery(q);
  } catch (e) {
    return isNexusError(e) ? e.code : "other";
  }
  return "accepted";
};

describe("search query language (protocol/searchQuery.ts)", () => {
  test("words and filters together; names and titles lowercased; quoted in:; @ before a name dropped", () => {
    expect(parseSearchQuery('Kiwi harvest from:Bo from:@ann in:"Team Chat" has:attachment')).toEqual({
      words: ["kiwi", "harvest"], from: ["bo", "ann"], in: ["team chat"], hasAttachment: true,
    });
  });

  test("dates: before is the start of that day, after the end of it, in the caller's time zone", () => {
    const day = Date.UTC(2026, 0, 31);
    expect(parseSearchQuery("before:2026-01-31")).toMatchObject({ before: day, words: [] });
    expect(parseSearchQuery("after:2026-01-31")).toMatchObject({ after: day + 86_400_000 });
    // UTC+2 (getTimezoneOffset -120): the day starts two hours earlier in UTC.
    expect(parseSearchQuery("before:2026-01-31", -120).before).toBe(day - 2 * 3_600_000);
    // The tighter of two bounds wins.
    expect(parseSearchQuery("before:2026-02-01 before:2026-01-31").before).toBe(day);
  });

  test("unknown keys and URLs are words; words are split as the index splits them, at most 16", () => {
    expect(parseSearchQuery("see https://example.com/x foo:bar").words).toEqual(["see", "https", "example", "com", "x", "foo", "bar"]);
    expect(parseSearchQuery(Array.from({ length: 20 }, (_, i) => `w${i}`).join(" ")).words).toHaveLength(16);
  });

  test("refused: nothing to search, a bad date, an unknown has:, an empty filter", () => {
    for (const q of ["   ", "!!!", "before:yesterday", "after:2026-02-31", "before:2026-1-5", "has:link", "from:", 'in:""'])
      expect({ q, code: refused(q) }).toEqual({ q, code: "bad_request" });
  });
});
