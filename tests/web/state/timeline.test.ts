import { describe, expect, test } from "bun:test";
import { Timeline } from "../../../web/src/state/timeline.ts";
import type { ConversationEvent } from "../../../protocol/index.ts";
import { BOB, ME, del, edit, msg, react, welcome } from "./fixtures.ts";

const texts = (t: Timeline) => t.rows().map((r) => (r.kind === "system" ? `#${r.seq}` : r.text));

describe("Timeline merge", () => {
  test("first welcome sets the window and the resume cursor", () => {
    const t = new Timeline(ME);
    expect(t.applyWelcome(welcome([msg(3, "c"), msg(4, "d")], false, 4, "ep1", true))).toBe("reset");
    expect(texts(t)).toEqual(["c", "d"]);
    expect(t.lastSeq).toBe(4);
    expect(t.oldestSeq).toBe(3);
    expect(t.hasMore).toBe(true);
    expect(t.epoch).toBe("ep1");
  });

  test("live events apply once: duplicates by seq are ignored, gaps reported", () => {
    const t = new Timeline(ME);
    t.applyWelcome(welcome([msg(1, "a")], false, 1));
    expect(t.applyLive(msg(2, "b"))).toBe("applied");
    expect(t.applyLive(msg(2, "b"))).toBe("duplicate");
    expect(t.applyLive(msg(1, "a"))).toBe("duplicate");
    expect(t.applyLive(msg(4, "d"))).toBe("gap");
    expect(texts(t)).toEqual(["a", "b"]);
    expect(t.lastSeq).toBe(2);
  });

  test("resume with recovered:true replays after the cursor with no duplicate", () => {
    const t = new Timeline(ME);
    t.applyWelcome(welcome([msg(1, "a"), msg(2, "b")], false, 2));
    // The server replays from `after`; an overlapping event must not double up.
    expect(t.applyWelcome(welcome([msg(2, "b"), msg(3, "c"), edit(4, 1, "a2")], true, 4))).toBe("resumed");
    expect(texts(t)).toEqual(["a2", "b", "c"]);
    expect(t.lastSeq).toBe(4);
  });

  test("recovered:false replaces the window with the newest page", () => {
    const t = new Timeline(ME);
    t.applyWelcome(welcome([msg(1, "a"), msg(2, "b")], false, 2));
    expect(t.applyWelcome(welcome([msg(2000, "new")], false, 2000, "ep1", true))).toBe("reset");
    expect(texts(t)).toEqual(["new"]);
    expect(t.lastSeq).toBe(2000);
    expect(t.hasMore).toBe(true);
  });

  test("a new epoch resets even when the server says recovered", () => {
    const t = new Timeline(ME);
    t.applyWelcome(welcome([msg(1, "a")], false, 1, "ep1"));
    expect(t.applyWelcome(welcome([msg(1, "x")], true, 1, "ep2"))).toBe("reset");
    expect(texts(t)).toEqual(["x"]);
    expect(t.epoch).toBe("ep2");
  });

  test("edits, deletes and reactions patch their target", () => {
    const t = new Timeline(ME);
    t.applyWelcome(welcome([msg(1, "hello")], false, 1));
    t.applyLive(edit(2, 1, "hello!"));
    t.applyLive(react(3, 1, "👍", true));
    t.applyLive(react(4, 1, "👍", true, ME));
    t.applyLive(react(5, 1, "👍", false));
    let m = t.message(1)!;
    expect(m.text).toBe("hello!");
    expect(m.editedTs).toBeDefined();
    expect(m.reactions).toEqual({ "👍": [ME] });
    t.applyLive(del(6, 1));
    m = t.message(1)!;
    expect(m.deleted).toBe(true);
    expect(m.text).toBe("");
    expect(t.rows()).toHaveLength(1);
  });

  test("older history pages prepend, skip patch events and never overwrite the window", () => {
    const t = new Timeline(ME);
    t.applyWelcome(welcome([msg(5, "e"), msg(6, "f")], false, 6, "ep1", true));
    t.applyLive(edit(7, 5, "e2"));
    const added = t.prependHistory([msg(3, "c"), edit(4, 3, "stale"), msg(5, "e-old")], false);
    expect(added).toBe(1);
    expect(texts(t)).toEqual(["c", "e2", "f"]);
    expect(t.oldestSeq).toBe(3);
    expect(t.hasMore).toBe(false);
  });

  test("a full older page is prepended whole, twice in a row (the floor does not move mid-page)", () => {
    const t = new Timeline(ME);
    t.applyWelcome(welcome([msg(7, "g"), msg(8, "h")], false, 8, "ep1", true));
    expect(t.prependHistory([msg(4, "d"), msg(5, "e"), msg(6, "f")], true)).toBe(3);
    expect(t.prependHistory([msg(1, "a"), msg(2, "b"), msg(3, "c")], false)).toBe(3);
    expect(texts(t)).toEqual(["a", "b", "c", "d", "e", "f", "g", "h"]);
    expect(t.oldestSeq).toBe(1);
    expect(t.lastSeq).toBe(8);
  });

  test("optimistic sends show until their event arrives, then once (dedupe by clientId)", () => {
    const t = new Timeline(ME);
    t.applyWelcome(welcome([msg(1, "a")], false, 1));
    t.addPending({ clientId: "mine_00001", conversationId: "d_abcdefg", text: "hi", createdAt: 1, attempts: 0 });
    expect(t.rows().map((r) => r.kind)).toEqual(["message", "pending"]);
    t.markAcked("mine_00001", 2);
    expect(t.rows().map((r) => r.kind)).toEqual(["message", "pending"]);
    t.applyLive(msg(2, "hi", { author: ME, clientId: "mine_00001" }));
    expect(t.rows().map((r) => r.kind)).toEqual(["message", "message"]);
    // A retry of the same item (e.g. after reload) must not resurrect the row.
    t.addPending({ clientId: "mine_00001", conversationId: "d_abcdefg", text: "hi", createdAt: 1, attempts: 1 });
    expect(texts(t)).toEqual(["a", "hi"]);
  });

  test("an ack for an event already in the window drops the pending row at once", () => {
    const t = new Timeline(ME);
    t.applyWelcome(welcome([msg(1, "a")], false, 1));
    t.addPending({ clientId: "mine_00002", conversationId: "d_abcdefg", text: "b", createdAt: 1, attempts: 0 });
    t.applyLive(msg(2, "b", { author: BOB, clientId: "other_0001" }));
    t.markAcked("mine_00002", 2);
    expect(texts(t)).toEqual(["a", "b"]);
  });

  test("a reset keeps unacknowledged sends and drops acknowledged ones the page covers", () => {
    const t = new Timeline(ME);
    t.applyWelcome(welcome([msg(1, "a")], false, 1));
    t.addPending({ clientId: "mine_00003", conversationId: "d_abcdefg", text: "queued", createdAt: 1, attempts: 0 });
    t.addPending({ clientId: "mine_00004", conversationId: "d_abcdefg", text: "acked", createdAt: 2, attempts: 0 });
    t.markAcked("mine_00004", 50);
    t.applyWelcome(welcome([msg(60, "z")], false, 60));
    expect(texts(t)).toEqual(["z", "queued"]);
  });

  test("system events become rows", () => {
    const t = new Timeline(ME);
    t.applyWelcome(welcome([{ seq: 1, ts: 1, author: ME, kind: "rename", title: "T" }], false, 1));
    expect(t.rows()[0]!.kind).toBe("system");
  });

  test("thread replies stay out of the rows, count on their root, and take edits and deletes", () => {
    const t = new Timeline(ME);
    t.applyWelcome(welcome([msg(1, "root"), msg(2, "other")], false, 2));
    expect(t.applyLive(msg(3, "first reply", { threadRoot: 1 }))).toBe("applied");
    t.applyLive(msg(4, "second reply", { threadRoot: 1 }));
    expect(texts(t)).toEqual(["root", "other"]);
    expect(t.lastSeq).toBe(4); // the resume cursor covers replies (they are in the log)
    expect(t.message(1)?.thread).toMatchObject({ replies: 2, lastSeq: 4 });
    t.applyLive(edit(5, 3, "first reply, edited"));
    t.applyLive(del(6, 4));
    expect(t.repliesOf(1).map((r) => [r.seq, r.text, !!r.deleted])).toEqual([[3, "first reply, edited", false], [4, "", true]]);
    // A thread page from the server fills in replies seen before this window.
    t.putReplies([msg(7, "late page", { threadRoot: 2 }) as Extract<ConversationEvent, { kind: "message" }>]);
    expect(t.repliesOf(2).map((r) => r.text)).toEqual(["late page"]);
    expect(texts(t)).toEqual(["root", "other"]);
  });
});
