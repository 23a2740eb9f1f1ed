import { describe, expect, test } from "bun:test";
import { OutboxFlusher, type SendOutcome } from "../../../web/src/state/flusher.ts";
import { Outbox, type OutboxItem } from "../../../web/src/state/outbox.ts";
import { MemoryStore } from "../../../web/src/state/storage.ts";
import { Backoff } from "../../../web/src/state/backoff.ts";

const item = (n: number, conv = "d_conv0001") => ({ clientId: `client_${String(n).padStart(4, "0")}`, conversationId: conv, text: `m${n}` });

/** Timers the test fires by hand, so nothing depends on the wall clock. */
function manualTimers() {
  const pending: { fn: () => void; ms: number }[] = [];
  return {
    pending,
    setTimeout: (fn: () => void, ms: number) => {
      const h = { fn, ms };
      pending.push(h);
      return h;
    },
    clearTimeout: (h: unknown) => {
      const i = pending.indexOf(h as any);
      if (i >= 0) pending.splice(i, 1);
    },
    fire() {
      const h = pending.shift();
      h?.fn();
    },
  };
}
const settle = () => new Promise((r) => setTimeout(r, 0));

describe("Outbox", () => {
  test("survives a reload: a new Outbox over the same store sees the same items in order", () => {
    const store = new MemoryStore();
    const a = new Outbox(store, "k");
    a.enqueue(item(1));
    a.enqueue(item(2));
    const b = new Outbox(store, "k");
    expect(b.items().map((i) => i.text)).toEqual(["m1", "m2"]);
  });

  test("is bounded: refuses past capacity", () => {
    const o = new Outbox(new MemoryStore(), "k", 2);
    expect(o.enqueue(item(1)).ok).toBe(true);
    expect(o.enqueue(item(2)).ok).toBe(true);
    expect(o.enqueue(item(3))).toEqual({ ok: false, reason: "full" });
    expect(o.size).toBe(2);
  });

  test("enqueueing the same clientId twice keeps one item", () => {
    const o = new Outbox(new MemoryStore(), "k");
    o.enqueue(item(1));
    o.enqueue(item(1));
    expect(o.size).toBe(1);
  });

  test("failed items are skipped by head() until retried, and removed on ack", () => {
    const o = new Outbox(new MemoryStore(), "k");
    o.enqueue(item(1));
    o.enqueue(item(2));
    o.fail(item(1).clientId, "nope");
    expect(o.head()?.text).toBe("m2");
    o.retry(item(1).clientId);
    expect(o.head()?.text).toBe("m1");
    o.ack(item(1).clientId);
    expect(o.items().map((i) => i.text)).toEqual(["m2"]);
  });

  test("reload adopts what another tab stored", () => {
    const store = new MemoryStore();
    const tabA = new Outbox(store, "k");
    const tabB = new Outbox(store, "k");
    tabA.enqueue(item(1));
    expect(tabB.size).toBe(0);
    tabB.reload();
    expect(tabB.items().map((i) => i.text)).toEqual(["m1"]);
  });

  test("corrupt storage starts empty instead of crashing", () => {
    const store = new MemoryStore();
    store.set("k", "{not json");
    expect(new Outbox(store, "k").size).toBe(0);
  });
});

describe("OutboxFlusher", () => {
  test("flushes in order on reconnect, reusing the clientId of a send that failed", async () => {
    const o = new Outbox(new MemoryStore(), "k");
    const timers = manualTimers();
    let online = false;
    const attempts: string[] = [];
    const acked: string[] = [];
    let seq = 0;
    const transport = async (i: OutboxItem): Promise<SendOutcome> => {
      attempts.push(i.clientId);
      if (!online) return { kind: "retry", reason: "offline" };
      return { kind: "ok", seq: ++seq, ts: 1 };
    };
    const f = new OutboxFlusher(o, transport, (i) => acked.push(i.text), new Backoff({ baseMs: 10, maxMs: 100, random: () => 0.5 }), timers);
    for (const n of [1, 2, 3]) o.enqueue(item(n));
    f.kick();
    await settle();
    expect(acked).toEqual([]);
    expect(timers.pending).toHaveLength(1); // a backoff retry is scheduled, not a busy loop
    expect(o.size).toBe(3);
    online = true;
    f.kick(); // reconnected
    await settle();
    expect(acked).toEqual(["m1", "m2", "m3"]);
    expect(o.size).toBe(0);
    // The first item was tried twice, each time with the same clientId.
    expect(attempts.filter((c) => c === item(1).clientId)).toHaveLength(2);
    expect(timers.pending).toHaveLength(0);
  });

  test("a fatal refusal marks the item failed and the rest still go", async () => {
    const o = new Outbox(new MemoryStore(), "k");
    const sent: string[] = [];
    const f = new OutboxFlusher(o, async (i) => {
      if (i.text === "m2") return { kind: "fatal", message: "forbidden" };
      sent.push(i.text);
      return { kind: "ok", seq: 1, ts: 1 };
    });
    for (const n of [1, 2, 3]) o.enqueue(item(n));
    f.kick();
    await settle();
    expect(sent).toEqual(["m1", "m3"]);
    expect(o.items()).toHaveLength(1);
    expect(o.items()[0]!.error).toBe("forbidden");
  });

  test("a thrown transport error counts as retry, later scheduled attempt succeeds", async () => {
    const o = new Outbox(new MemoryStore(), "k");
    const timers = manualTimers();
    let calls = 0;
    const f = new OutboxFlusher(
      o,
      async () => {
        if (calls++ === 0) throw new TypeError("Failed to fetch");
        return { kind: "ok", seq: 1, ts: 1 };
      },
      undefined,
      new Backoff({ baseMs: 10, maxMs: 100, random: () => 0 }),
      timers,
    );
    o.enqueue(item(1));
    f.kick();
    await settle();
    expect(o.size).toBe(1);
    timers.fire();
    await settle();
    expect(o.size).toBe(0);
  });
});

describe("Backoff", () => {
  test("grows exponentially to the cap, jittered, never zero, resets", () => {
    const b = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 1 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000]);
    b.reset();
    expect(b.next()).toBe(100);
    const low = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
    expect(low.next()).toBe(10);
  });
});
