/**
 * Guarantee 3 — idempotent sends. A clientId names one message: sending it again (same socket, a
 * new socket after reconnecting, or REST) returns the original seq with `duplicate: true`, stores
 * nothing new and shows nothing new to other members. Absence is checked without timers: a
 * sentinel message sent afterwards must be the very next event others see.
 */
import { describe, expect, test } from "bun:test";
import { newClientId, type TestSocket } from "../support/client.ts";
import { useTarget } from "./harness.ts";
import { LimitEnv, type TargetFactory } from "./target.ts";

/** Send a sentinel from `sender` and return the events `watcher` received before it (after `fromSeq`). */
async function eventsUntilSentinel(sender: TestSocket, watcher: TestSocket, fromSeq: number): Promise<any[]> {
  const ack = await sender.sendMessage("sentinel");
  expect(ack.t).toBe("ack");
  await watcher.next((f) => f.t === "event" && f.e.seq === ack.seq);
  return watcher.all((f) => f.t === "event" && f.e.seq > fromSeq && f.e.seq <= ack.seq).map((f) => f.e);
}

export function idempotencyTests(factory: TargetFactory): void {
  describe("idempotency", () => {
    const ctx = useTarget(factory, { [LimitEnv.sendsPerSecond]: "1000" });

    test("resend on the same socket, on a new socket and over REST: same seq, duplicate, stored and shown once", async () => {
      const [alice, bob] = await ctx.users(2, "idem");
      const conv = await ctx.group(alice, [bob]);
      const { sock: sa } = await alice.join(conv.id);
      const { sock: sb, welcome } = await bob.join(conv.id);
      const clientId = newClientId("idem");
      const first = await sa.sendMessage("hello once", clientId);
      expect(first.t).toBe("ack");
      expect(first.duplicate ?? false).toBe(false);

      const again = await sa.sendMessage("hello once", clientId);
      expect(again).toMatchObject({ t: "ack", clientId, seq: first.seq, duplicate: true });

      await sa.close();
      const { sock: sa2 } = await alice.join(conv.id);
      const third = await sa2.sendMessage("hello once", clientId);
      expect(third).toMatchObject({ t: "ack", clientId, seq: first.seq, duplicate: true });

      const rest = await alice.api("POST", `/v1/conversations/${conv.id}/messages`, { clientId, text: "hello once" });
      expect([200, 201]).toContain(rest.status);
      expect(rest.body).toMatchObject({ seq: first.seq, duplicate: true });

      const shown = await eventsUntilSentinel(sa2, sb, welcome.conversation.lastSeq);
      expect(shown.filter((e) => e.clientId === clientId).length).toBe(1);
      expect(shown.length).toBe(2); // the message and the sentinel, nothing else

      const history = await alice.fullHistory(conv.id);
      expect(history.filter((e) => e.clientId === clientId).length).toBe(1);
    });

    test("REST first, then the socket: the socket resend is the duplicate", async () => {
      const [alice, bob] = await ctx.users(2, "idemr");
      const conv = await ctx.group(alice, [bob]);
      const { sock: sb, welcome } = await bob.join(conv.id);
      const clientId = newClientId("rest");
      const rest1 = await alice.api("POST", `/v1/conversations/${conv.id}/messages`, { clientId, text: "via rest" });
      expect([200, 201]).toContain(rest1.status);
      expect(rest1.body.duplicate).toBe(false);
      const rest2 = await alice.api("POST", `/v1/conversations/${conv.id}/messages`, { clientId, text: "via rest" });
      expect([200, 201]).toContain(rest2.status);
      expect(rest2.body).toMatchObject({ seq: rest1.body.seq, duplicate: true });
      const { sock: sa } = await alice.join(conv.id);
      const ack = await sa.sendMessage("via rest", clientId);
      expect(ack).toMatchObject({ t: "ack", seq: rest1.body.seq, duplicate: true });
      const shown = await eventsUntilSentinel(sa, sb, welcome.conversation.lastSeq);
      expect(shown.map((e) => e.clientId)).toEqual([clientId, expect.any(String)]);
    });

    test("a clientId belongs to its author: another member using the same one sends a new message", async () => {
      const [alice, bob] = await ctx.users(2, "idemu");
      const conv = await ctx.group(alice, [bob]);
      const { sock: sa } = await alice.join(conv.id);
      const { sock: sb } = await bob.join(conv.id);
      const clientId = newClientId("shared");
      const mine = await sa.sendMessage("alice's", clientId);
      const theirs = await sb.sendMessage("bob's", clientId);
      expect(theirs.t).toBe("ack");
      expect(theirs.duplicate ?? false).toBe(false);
      expect(theirs.seq).toBe(mine.seq + 1);
      const history = await alice.fullHistory(conv.id);
      expect(history.filter((e) => e.clientId === clientId).map((e) => e.text)).toEqual(["alice's", "bob's"]);
    });

    test("concurrent resends of one clientId from two sockets store it once", async () => {
      const [alice, bob] = await ctx.users(2, "idemc");
      const conv = await ctx.group(alice, [bob]);
      const { sock: s1 } = await alice.join(conv.id);
      const { sock: s2 } = await alice.join(conv.id);
      const clientId = newClientId("race");
      for (let i = 0; i < 5; i++) {
        s1.send({ t: "send", clientId, text: "race" });
        s2.send({ t: "send", clientId, text: "race" });
      }
      // One event (both sockets get it: it is the ack of whichever send was first), and nine
      // `duplicate` acks for the other sends, all naming the event's seq.
      const [e1] = await s1.take((f) => f.t === "event" && f.e.clientId === clientId, 1);
      const [e2] = await s2.take((f) => f.t === "event" && f.e.clientId === clientId, 1);
      expect(e1!.e.seq).toBe(e2!.e.seq);
      const dupes = (s: typeof s1) => s.all((f) => f.t === "ack" && !f.fromEvent && f.clientId === clientId);
      for (let i = 0; i < 100 && dupes(s1).length + dupes(s2).length < 9; i++) await Bun.sleep(20);
      const acks = [...dupes(s1), ...dupes(s2)];
      expect(acks).toHaveLength(9);
      for (const a of acks) expect(a).toMatchObject({ seq: e1!.e.seq, duplicate: true });
      const history = await bob.fullHistory(conv.id);
      expect(history.filter((e) => e.clientId === clientId).length).toBe(1);
    });
  });
}
