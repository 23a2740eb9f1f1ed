/**
 * Guarantee 1 — total order. Concurrent senders in one group: the conversation actor assigns
 * seq = previous + 1, every member receives every event exactly once and in seq order, and each
 * sender's ack carries the seq the others see. (Whether a sender also gets its own message as an
 * `event` is left to the host; if it does, it must be in order too.)
 */
import { describe, expect, test } from "bun:test";
import { newClientId, type Session, type TestSocket } from "../support/client.ts";
import { expectSeqRange, useTarget } from "./harness.ts";
import { LimitEnv, type TargetFactory } from "./target.ts";

/** Every other sender's message exactly once, in increasing seq, gaps only where our own acks are. */
function checkStream(sock: TestSocket, ownSeqs: Set<number>, from: number, to: number): void {
  const seqs = sock.all("event").map((f) => f.e.seq as number).filter((s) => s >= from && s <= to);
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]);
  const seen = new Set(seqs);
  expect(seen.size).toBe(seqs.length);
  for (let s = from; s <= to; s++) if (!ownSeqs.has(s)) expect(seen.has(s)).toBe(true);
}

export function orderTests(factory: TargetFactory): void {
  describe("total order", () => {
    const ctx = useTarget(factory, { [LimitEnv.sendsPerSecond]: "1000" });

    test("concurrent socket senders: one gap-free order, every member sees each event once, acks carry the seq", async () => {
      const users = await ctx.users(4, "ord");
      const conv = await ctx.group(users[0], users.slice(1));
      const joined = await Promise.all(users.map((u) => u.join(conv.id)));
      const base = Math.max(...joined.map((j) => j.welcome.conversation.lastSeq));
      // Catch up on anything between the welcomes (none expected: nobody sent yet).
      expect(joined.every((j) => j.welcome.conversation.lastSeq === base)).toBe(true);
      const perSender = 15;
      const sent: { user: Session; sock: TestSocket; clientIds: string[] }[] = joined.map((j, i) => ({
        user: users[i],
        sock: j.sock,
        clientIds: Array.from({ length: perSender }, () => newClientId(`o${i}`)),
      }));
      // Pipeline every send without waiting, all senders at once.
      for (let k = 0; k < perSender; k++) for (const s of sent) s.sock.send({ t: "send", clientId: s.clientIds[k], text: `${s.user.username} #${k}` });
      const total = perSender * users.length;
      const acksBySender = await Promise.all(sent.map((s) => Promise.all(s.clientIds.map((id) => s.sock.replyTo(id, 20_000)))));
      const ackSeqs: number[] = [];
      const seqOfClientId = new Map<string, number>();
      acksBySender.forEach((acks, i) => {
        for (const a of acks) expect(a.t).toBe("ack");
        const seqs = acks.map((a) => a.seq as number);
        // One socket's sends are committed in the order sent.
        for (let k = 1; k < seqs.length; k++) expect(seqs[k]).toBeGreaterThan(seqs[k - 1]);
        acks.forEach((a, k) => {
          expect(a.clientId).toBe(sent[i].clientIds[k]);
          expect(a.duplicate ?? false).toBe(false);
          seqOfClientId.set(a.clientId, a.seq);
        });
        ackSeqs.push(...seqs);
      });
      expectSeqRange([...ackSeqs].sort((a, b) => a - b), base + 1, base + total);

      // Every member: every other sender's event exactly once, ascending, with the acked seq.
      for (const [i, s] of sent.entries()) {
        const own = new Set(acksBySender[i].map((a) => a.seq as number));
        const othersCount = total - perSender;
        const events = await s.sock.take((f) => f.t === "event" && f.e.kind === "message" && f.e.author !== s.user.id, othersCount, 20_000);
        for (const f of events) expect(f.e.seq).toBe(seqOfClientId.get(f.e.clientId)!);
        checkStream(s.sock, own, base + 1, base + total);
      }

      // History holds the same order.
      const history = (await users[0].fullHistory(conv.id)).filter((e) => e.seq > base);
      expectSeqRange(history.map((e) => e.seq), base + 1, base + total);
      for (const e of history) expect(seqOfClientId.get(e.clientId)).toBe(e.seq);
    });

    test("REST and socket sends share the one order", async () => {
      const [a, b, c] = await ctx.users(3, "ordr");
      const conv = await ctx.group(a, [b, c]);
      const { sock: sa, welcome } = await a.join(conv.id);
      const { sock: sc } = await c.join(conv.id);
      const base = welcome.conversation.lastSeq;
      const n = 10;
      const socketIds = Array.from({ length: n }, () => newClientId("sock"));
      for (const id of socketIds) sa.send({ t: "send", clientId: id, text: `socket ${id}` });
      const restIds = Array.from({ length: n }, () => newClientId("rest"));
      const restResults = await Promise.all(
        restIds.map((id) => b.api("POST", `/v1/conversations/${conv.id}/messages`, { clientId: id, text: `rest ${id}` })),
      );
      for (const r of restResults) {
        expect([200, 201]).toContain(r.status);
        expect(r.body.duplicate).toBe(false);
        expect(r.body.seq).toBeGreaterThan(base);
      }
      const acks = await Promise.all(socketIds.map((id) => sa.replyTo(id)));
      for (const a of acks) expect(a.t).toBe("ack");
      const all = [...acks.map((x) => x.seq as number), ...restResults.map((r) => r.body.seq as number)].sort((x, y) => x - y);
      expectSeqRange(all, base + 1, base + 2 * n);
      // A member that sent nothing sees all 2n, in order, once.
      const seen = await sc.take((f) => f.t === "event" && f.e.kind === "message", 2 * n);
      expectSeqRange(seen.map((f) => f.e.seq), base + 1, base + 2 * n);
      checkStream(sc, new Set(), base + 1, base + 2 * n);
    });

    test("ping is answered with pong and does not consume a seq", async () => {
      const [a] = await ctx.users(1, "ordp");
      const conv = await ctx.group(a, []);
      const { sock, welcome } = await a.join(conv.id);
      sock.send({ t: "ping" });
      const pong = await sock.next("pong");
      expect(typeof pong.ts).toBe("number");
      const ack = await sock.sendMessage("after ping");
      expect(ack.t).toBe("ack");
      expect(ack.seq).toBe(welcome.conversation.lastSeq + 1);
    });
  });
}
