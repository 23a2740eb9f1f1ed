/**
 * Flow control on the Durable Object host (protocol/flow.ts): workerd does not expose a server
 * socket's unsent bytes, so the backlog is what the client has not acknowledged beyond what is
 * normally in flight. The real path (workerd, a stalled raw TCP reader, reading clients that ack)
 * is the conformance suite's slow-consumer test; this checks the accounting and the client helper.
 * The WebSocket here records sends only: nothing in it can run outside workerd.
 */
import { describe, expect, test } from "bun:test";
import { ACK_CHARS, DoConnection, IN_FLIGHT_CHARS } from "../../actors/hosts/durable-object/doConnection.ts";
import { Fanout } from "../../actors/conversation/fanout.ts";
import { socketStats } from "../../actors/socketStats.ts";
import { CloseCodes, ConversationClientFrame, FlowControl, ReceivedCounter } from "../../protocol/index.ts";

function socket() {
  const sent: string[] = [];
  const closes: Array<[number, string]> = [];
  const ws = {
    send: (f: string) => void sent.push(f),
    close: (code: number, reason: string) => void closes.push([code, reason]),
  } as unknown as WebSocket;
  return { ws, sent, closes };
}

const frame = (chars: number) => "x".repeat(chars);

describe("DoConnection backlog from acks", () => {
  test("counts sent text; only what exceeds the in-flight allowance is backlog", () => {
    const { ws } = socket();
    const c = new DoConnection(ws, { connId: "c1", userId: "u1" });
    expect(c.ackChars).toBe(ACK_CHARS);
    c.send(frame(IN_FLIGHT_CHARS));
    expect(c.buffered()).toBe(0);
    c.send(frame(1000));
    expect(c.buffered()).toBe(1000);
    c.received(600);
    expect(c.buffered()).toBe(400);
  });

  test("acks never move back and are capped at what was sent (a wake starts both at 0)", () => {
    const { ws } = socket();
    const c = new DoConnection(ws, { connId: "c1", userId: "u1" });
    c.send(frame(IN_FLIGHT_CHARS + 5000));
    c.received(3000);
    c.received(1000); // older ack arriving late
    expect(c.buffered()).toBe(2000);
    // A client counting since it connected, talking to a wrapper rebuilt after hibernation.
    const woken = new DoConnection(ws, { connId: "c1", userId: "u1" });
    woken.received(50_000_000);
    woken.send(frame(IN_FLIGHT_CHARS + 10));
    expect(woken.buffered()).toBe(10);
  });

  test("a closed socket sends nothing more and counts nothing more", () => {
    const { ws, sent } = socket();
    const c = new DoConnection(ws, { connId: "c1", userId: "u1" });
    c.close(1000, "bye");
    c.send("late");
    expect(sent).toEqual([]);
  });
});

describe("Fanout over DoConnections (no native pub/sub)", () => {
  test("a socket that stops acknowledging is closed with 4008; one that acks keeps everything", () => {
    const limit = 64 * 1024;
    const fanout = new Fanout(limit, "conversation:c");
    const reader = socket();
    const stalled = socket();
    const rc = new DoConnection(reader.ws, { connId: "r", userId: "reader" });
    const sc = new DoConnection(stalled.ws, { connId: "s", userId: "stalled" });
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
    expect(got).toBeLessThanOrEqual(IN_FLIGHT_CHARS + limit + f.length);
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
