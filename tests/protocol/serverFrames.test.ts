/**
 * Every frame the server sends is built by protocol/serverFrames.ts; each builder's output must
 * parse as a ServerFrame, and every ServerFrame type must have a sample here (a new frame type
 * without one fails the last test).
 */
import { describe, expect, test } from "bun:test";
import { ServerFrame, type ConversationEvent, type ConversationSummary } from "../../protocol/index.ts";
import { duplicateAckFrame, errorFrame, eventFrame, eventsFrame, frame, pongFrame, readFrame, storageFrame } from "../../protocol/serverFrames.ts";

const message = (seq: number): ConversationEvent => ({ seq, ts: 1_700_000_000_000 + seq, author: "u_alice", kind: "message", clientId: `c_${seq}abcdefgh`, text: `hi "${seq}" \u2028 😀` });
const info = { id: "d_abcdefgh", type: "direct" as const, title: "", members: [{ userId: "u_alice", username: "alice", role: "member" as const }], epoch: "e1", lastSeq: 2, reads: { u_alice: 1 } };
const summary: ConversationSummary = { ...info, lastTs: 1, preview: { author: "u_alice", text: "hi" }, unread: 0, readSeq: 1 };
const presence = { userId: "u_bob", status: "online" as const, lastSeen: null };

/** One sample per frame type, each made by the builder the server uses. */
const samples: Record<ServerFrame["t"], string[]> = {
  welcome: [frame("welcome", { conversation: info, recovered: true, events: [message(1)], hasMore: false, typing: [], flow: { ackChars: 65536 }, limits: { maxTextLength: 4000 } }),
    frame("welcome", { conversation: info, recovered: false, events: [], hasMore: false, typing: [], readOnly: true })],
  event: [eventFrame(JSON.stringify(message(1)))],
  events: [eventsFrame([JSON.stringify(message(1)), JSON.stringify(message(2))])],
  ack: [duplicateAckFrame("c_abcdefgh-_", 3, 12345)],
  typing: [frame("typing", { userId: "u_alice", on: true })],
  read: [readFrame("u_\"odd\"", 2)],
  history: [frame("history", { before: null, events: [message(1)], hasMore: true }), frame("history", { before: 5, events: [], hasMore: false })],
  call: [frame("call", { callId: "call-12345678", action: "offer", sdp: "v=0", from: "u_alice", conversationId: "d_abcdefgh" })],
  pong: [pongFrame(Date.now())],
  storage: [storageFrame(true), storageFrame(false)],
  error: [errorFrame("bad_request", "no", "c_abcdefgh"), errorFrame("internal", "internal error", 42)],
  inbox: [frame("inbox", { conversations: [summary], presence: [presence] }),
    frame("inbox", { conversations: [summary], presence: [presence], notify: { conversations: {}, dnd: { schedule: null, pausedUntil: 5 } } })],
  conv: [frame("conv", { c: summary })],
  removed: [frame("removed", { conversationId: "g_abcdefgh" })],
  presence: [frame("presence", { p: presence })],
  notify: [frame("notify", { settings: { conversations: { g_abcdefgh: { level: "mentions", muted: { until: null } } },
    dnd: { schedule: { from: "22:00", to: "07:00", timeZone: "Europe/Berlin" }, pausedUntil: null } } })],
};

describe("server frames", () => {
  for (const [t, encoded] of Object.entries(samples))
    test(`${t}: every builder's output is a valid ServerFrame of that type`, () => {
      for (const text of encoded) {
        const parsed = ServerFrame.safeParse(JSON.parse(text));
        expect(parsed.error?.issues ?? []).toEqual([]);
        expect(parsed.data?.t).toBe(t as ServerFrame["t"]);
      }
    });

  test("an error frame carries a clientId only when it is a string", () => {
    expect(JSON.parse(errorFrame("internal", "x", 42))).toEqual({ t: "error", code: "internal", message: "x" });
    expect(JSON.parse(errorFrame("bad_request", "x", "c_1"))).toEqual({ t: "error", code: "bad_request", message: "x", clientId: "c_1" });
  });

  test("every ServerFrame type has a sample above", () => {
    const types = ServerFrame.options.map((o) => o.shape.t.value as string).sort();
    expect(Object.keys(samples).sort()).toEqual(types);
  });
});
