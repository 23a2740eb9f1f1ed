/**
 * Flow control on the Durable Object host (protocol/flow.ts): workerd does not expose a server
 * socket's unsent bytes, so the backlog is what the client has not acknowledged beyond what is
 * normally in flight. The real path (workerd, a stalled raw TCP reader, reading clients that ack)
 * is the conformance suite's slow-consumer test; this checks the accounting and the client helper.
 * The WebSocket here records sends only: nothing in it can run outside workerd.
 */
import { describe, expect, test } from "bun:test";
import { ACK_CHARS, DoConnection, IN_FLIGHT_CHARS } from "../../hosts/cloudflare/doConnection.ts";
import { Fanout } from "../../actors/conversation/fanout.ts";
import { socketStats } from "../../actors/socketStats.ts";
import { CloseCodes, ConversationClientFrame, FlowControl, ReceivedCounter } from "../../protocol/index.ts";

/** A socket that records sends, closes and its serialized attachment, as workerd's would keep it. */
function socket() {
  const sent: string[] = [];
  const closes: Array<[number, string]> = [];
  let attachment: unknown = null;
  const ws = {
    readyState: 1,
    send: (f: string) => void sent.push(f),
    close: (code: number, reason: string) => void closes.push([code, reason]),
    serializeAttachment: (a: unknown) => void (attachment = structuredClone(a)),
    deserializeAttachment: () => attachment,
  } as unknown as WebSocket;
  return { ws, sent, closes };
}

const frame = (chars: number) => "x".repeat(chars);
const LIMIT = 64 * 1024;
const fresh = (ws: WebSocket) => {
  ws.serializeAttachment({ connId: "c1", userId: "u1" });
  return new DoConnection(ws, { connId: "c1", userId: "u1" }, LIMIT);
};

describe("DoConnection backlog from acks", () => {
  test("counts sent text; only what exceeds the in-flight allowance and the first frame is backlog", () => {
    const { ws } = socket();
    const c = fresh(ws);
    expect(c.ackChars).toBe(ACK_CHARS);
    c.send(frame(300_000)); // the welcome: sent before the client can ack, so it is allowed on top
    c.send(frame(IN_FLIGHT_CHARS));
    expect(c.buffered()).toBe(0);
    c.send(frame(1000));
    expect(c.buffered()).toBe(1000);
    c.received(600);
    expect(c.buffered()).toBe(400);
  });

  test("acks never move back and are capped at what was sent", () => {
    const { ws } = socket();
    const c = fresh(ws);
    c.send(frame(10));
    c.send(frame(IN_FLIGHT_CHARS + 5000));
    c.received(3000);
    c.received(1000); // an older ack arriving late
    expect(c.buffered()).toBe(2000);
    c.received(1e12);
    expect(c.buffered()).toBe(0);
  });

  test("after a wake from hibernation the counts go on from the last ack (the client's totals do too)", () => {
    const { ws } = socket();
    const big = 10 * 1024 * 1024; // a limit far away, so only the accounting is seen here
    const c = new DoConnection(ws, { connId: "c1", userId: "u1" }, big);
    c.send(frame(100));
    for (let i = 1; i <= 300; i++) {
      c.send(frame(100_000)); // 30 M chars over the socket's life, read as they came
      c.received(100 + i * 100_000);
    }
    // The object hibernates; the wrapper is rebuilt from the attachment only.
    const woken = DoConnection.fromSocket(ws, big)!;
    expect(woken.buffered()).toBe(0);
    // The client now reads one frame in four: its acks must not count the rest as read (with
    // counts restarting at 0, every ack would have been capped to "all sent" and read as caught up).
    let got = 30_000_100;
    for (let i = 0; i < 120; i++) {
      woken.send(frame(100_000));
      if (i % 4 === 0) woken.received((got += 100_000));
    }
    expect(woken.buffered()).toBe(120 * 100_000 - 30 * 100_000 - (IN_FLIGHT_CHARS + 100));
  });

  test("a corrupt attachment restores no counts rather than wrong ones", () => {
    const { ws } = socket();
    ws.serializeAttachment({ connId: "c1", userId: "u1", flow: [5, -1, "x"] });
    const c = DoConnection.fromSocket(ws, LIMIT)!;
    c.send(frame(10));
    expect(c.buffered()).toBe(0);
    expect(DoConnection.fromSocket(socket().ws, LIMIT)).toBeNull();
  });

  test("sends outside the fan-out (history, pong) close the socket past twice the limit by themselves", () => {
    const { ws, closes, sent } = socket();
    const c = fresh(ws);
    c.send(frame(10));
    while (closes.length === 0 && sent.length < 10_000) c.send(frame(4096));
    expect(closes).toEqual([[CloseCodes.slowConsumer, "slow consumer: reconnect and resume"]]);
    const total = sent.reduce((n, f) => n + f.length, 0);
    expect(total).toBeGreaterThan(IN_FLIGHT_CHARS + 2 * LIMIT);
    expect(total).toBeLessThanOrEqual(IN_FLIGHT_CHARS + 10 + 2 * LIMIT + 4096);
    c.send("late");
    expect(sent.at(-1)).not.toBe("late");
  });
});

describe("Fanout over DoConnections (no native pub/sub)", () => {
  test("a socket that stops acknowledging is closed with 4008; one that acks keeps everything", () => {
    const limit = LIMIT;
    const fanout = new Fanout(limit, "conversation:c");
    const reader = socket();
    const stalled = socket();
    const rc = new DoConnection(reader.ws, { connId: "r", userId: "reader" }, limit);
    const sc = new DoConnection(stalled.ws, { connId: "s", userId: "stalled" }, limit);
    fanout.add(rc, false);
    fanout.add(sc, false);
    const dropsBefore = socketStats.slowConsumerDrops;
    const f = frame(4000);
    const total = Math.ceil((IN_FLIGHT_CHARS + limit) / f.length) + 50;
    for (let seq = 1; seq <= total; seq++) {
      fanout.broadcast(f, seq);
      rc.received(reader.sent.reduce((n, s) => n + s.length, 0));
    }
    expect(reader.sent.length).toBe(total);
    expect(reader.closes).toEqual([]);
    expect(stalled.closes).toEqual([[CloseCodes.slowConsumer, "slow consumer: reconnect and resume"]]);
    const got = stalled.sent.reduce((n, s) => n + s.length, 0);
    expect(got).toBeGreaterThan(IN_FLIGHT_CHARS);
    expect(got).toBeLessThanOrEqual(IN_FLIGHT_CHARS + f.length + limit + f.length); // the first frame is allowed on top
    expect(fanout.size).toBe(1);
    expect(socketStats.slowConsumerDrops).toBe(dropsBefore + 1); // nexus_slow_consumer_drops on Bun
  });
});

describe("ReceivedCounter (the client's side)", () => {
  test("sends nothing unless the welcome asked", () => {
    const c = new ReceivedCounter();
    c.count(10_000_000);
    expect(c.due()).toBeNull();
    c.enable(undefined);
    expect(c.due()).toBeNull();
  });

  test("acknowledges the running total at least every ackChars", () => {
    const c = new ReceivedCounter();
    c.count(500); // the welcome itself counts
    c.enable({ ackChars: 1024 });
    expect(c.due()).toBeNull();
    c.count(600);
    expect(c.due()).toBe(`{"t":"received","chars":1100}`);
    expect(c.due()).toBeNull();
    c.count(1023);
    expect(c.due()).toBeNull();
    c.count(1);
    expect(JSON.parse(c.due()!)).toEqual({ t: "received", chars: 2124 });
  });

  test("the ack frame and the welcome's flow field are validated like every frame", () => {
    expect(ConversationClientFrame.parse({ t: "received", chars: 5 })).toEqual({ t: "received", chars: 5 });
    for (const bad of [-1, 1.5, "5", null]) expect(ConversationClientFrame.safeParse({ t: "received", chars: bad }).success).toBe(false);
    expect(FlowControl.safeParse({ ackChars: ACK_CHARS }).success).toBe(true);
    expect(FlowControl.safeParse({ ackChars: 10 }).success).toBe(false); // an ack every 10 chars would flood the host
  });
});
