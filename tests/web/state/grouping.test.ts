import { describe, expect, test } from "bun:test";
import { groupRows, seenBy } from "../../../web/src/state/grouping.ts";
import { removeSummary, totalUnread, upsertSummary, markRead } from "../../../web/src/state/inbox.ts";
import { Timeline } from "../../../web/src/state/timeline.ts";
import type { ConversationSummary } from "../../../protocol/index.ts";
import { BOB, ME } from "./fixtures.ts";

const day = new Date(2024, 4, 10, 12, 0).getTime();
const m = (seq: number, author: string, ts: number) =>
  ({ seq, ts, author, kind: "message", clientId: `cid_${seq}_xxxx`, text: String(seq) }) as const;

describe("grouping", () => {
  test("runs by sender within 5 minutes; a new day starts a new group with a label", () => {
    const t = new Timeline(ME);
    t.reset([m(1, BOB, day), m(2, BOB, day + 60_000), m(3, ME, day + 120_000), m(4, ME, day + 86_400_000)], false);
    const g = groupRows(t.rows(), day + 86_400_000);
    expect(g.map((r) => [r.groupStart, r.groupEnd])).toEqual([
      [true, false],
      [false, true],
      [true, true],
      [true, true],
    ]);
    expect(g[0]!.day).toBeDefined();
    expect(g[1]!.day).toBeUndefined();
    expect(g[3]!.day).toBe("Today");
  });

  test("seenBy lists other members whose read cursor reached the message", () => {
    expect(seenBy(5, ME, { [ME]: 9, [BOB]: 5, u_c: 4 }, { [BOB]: "bob" })).toEqual(["bob"]);
  });
});

const summary = (id: string, lastSeq: number, lastTs: number, unread = 0): ConversationSummary => ({
  id,
  type: "group",
  title: id,
  members: [],
  lastSeq,
  lastTs,
  preview: null,
  unread,
  readSeq: 0,
});

describe("inbox list", () => {
  test("ordered by activity; stale summaries ignored; unread totals; remove", () => {
    let l = [summary("g_aaaaaaa", 1, 10, 1), summary("g_bbbbbbb", 1, 20, 2)];
    l = upsertSummary(l, summary("g_aaaaaaa", 2, 30, 3));
    expect(l.map((c) => c.id)).toEqual(["g_aaaaaaa", "g_bbbbbbb"]);
    l = upsertSummary(l, summary("g_aaaaaaa", 1, 5, 9));
    expect(l[0]!.unread).toBe(3);
    expect(totalUnread(l)).toBe(5);
    l = markRead(l, "g_aaaaaaa", 2);
    expect(totalUnread(l)).toBe(2);
    expect(removeSummary(l, "g_bbbbbbb").map((c) => c.id)).toEqual(["g_aaaaaaa"]);
  });
});
