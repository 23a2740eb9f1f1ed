/**
 * Guarantee 2 — durable before ack. An ack (and any event a member was shown) means the event is
 * committed: after the server is killed with SIGKILL and started again on the same data, history
 * holds every acknowledged message, in the same order with the same seq, and nothing any client saw
 * is missing. A client retrying its unacknowledged sends after the crash gets each stored once.
 */
import { describe, expect, test } from "bun:test";
import { newClientId, type Session } from "../support/client.ts";
import { retarget, useTarget, type Ctx } from "./harness.ts";
import { LimitEnv, type SuiteOptions, type TargetFactory } from "./target.ts";

/** Crash and restart the target, then sign the users in again (tokens may not survive a restart). */
async function crashAndRestart(ctx: Ctx, users: Session[]): Promise<Session[]> {
  await ctx.target.restart!();
  const nx = retarget(ctx);
  return Promise.all(users.map((u) => nx.login(u.username, u.password)));
}

/** History is 1..last with no hole and no clientId twice. */
function expectContiguous(history: any[]): void {
  history.forEach((e, i) => expect(e.seq).toBe(i + 1));
  const ids = history.filter((e) => e.kind === "message").map((e) => e.clientId);
  expect(new Set(ids).size).toBe(ids.length);
}

export function durabilityTests(factory: TargetFactory, opts: SuiteOptions = {}): void {
  const maybe = opts.restartable === false ? describe.skip : describe;
  maybe("durable before ack (kill -9 and restart)", () => {
    const ctx = useTarget(factory, { [LimitEnv.sendsPerSecond]: "10000", [LimitEnv.replayCap]: "100000" });

    test("every acked message survives kill -9 right after the last ack", async () => {
      const [alice, bob] = await ctx.users(2, "dur");
      const conv = await ctx.group(alice, [bob]);
      const { sock } = await alice.join(conv.id);
      const n = 200;
      const ids = Array.from({ length: n }, () => newClientId("d"));
      ids.forEach((id, i) => sock.send({ t: "send", clientId: id, text: `durable ${i}` }));
      const acks = await Promise.all(ids.map((id) => sock.replyTo(id, 30_000)));
      for (const a of acks) expect(a.t).toBe("ack");
      const [alice2] = await crashAndRestart(ctx, [alice, bob]);
      const history = await alice2.fullHistory(conv.id);
      expectContiguous(history);
      const bySeq = new Map(history.map((e) => [e.seq, e]));
      acks.forEach((a, i) => {
        const e = bySeq.get(a.seq);
        expect(e?.kind).toBe("message");
        expect(e?.clientId).toBe(ids[i]);
        expect(e?.text).toBe(`durable ${i}`);
      });
    });

    test("kill -9 mid-flood: nothing acked or shown to a member is lost; retries store each message once", async () => {
      const [alice, bob] = await ctx.users(2, "durf");
      const conv = await ctx.group(alice, [bob]);
      const { sock: sa } = await alice.join(conv.id);
      const { sock: sb, welcome } = await bob.join(conv.id);
      const n = 3000;
      const ids = Array.from({ length: n }, () => newClientId("f"));
      const textOf = new Map(ids.map((id, i) => [id, `flood ${i} ${"x".repeat(100)}`]));
      for (const id of ids) sa.send({ t: "send", clientId: id, text: textOf.get(id)! });
      // Crash while sends are still in flight: after the 100th ack arrives.
      await sa.take("ack", 100, 30_000);
      const killed = ctx.target.restart!();
      await killed;
      const acked = new Map(sa.all("ack").map((a) => [a.clientId as string, a.seq as number]));
      const shown = sb.all((f) => f.t === "event" && f.e.seq > welcome.conversation.lastSeq).map((f) => f.e);
      expect(acked.size).toBeGreaterThanOrEqual(100);
      if (process.env.NEXUS_SUITE_DEBUG) console.log(`acked ${acked.size} of ${n} before the crash; member saw ${shown.length}`);
      const nx = retarget(ctx);
      const alice2 = await nx.login(alice.username, alice.password);
      const history = await alice2.fullHistory(conv.id);
      expectContiguous(history);
      const bySeq = new Map(history.map((e) => [e.seq, e]));
      for (const [clientId, seq] of acked) {
        expect(bySeq.get(seq)?.clientId).toBe(clientId);
        expect(bySeq.get(seq)?.text).toBe(textOf.get(clientId)!);
      }
      for (const e of shown) {
        expect(bySeq.get(e.seq)?.kind).toBe(e.kind);
        expect(bySeq.get(e.seq)?.clientId).toBe(e.clientId);
      }
      // The client's retry after reconnecting: resend everything not acked.
      const { sock: retry } = await alice2.join(conv.id);
      const unacked = ids.filter((id) => !acked.has(id)).slice(0, 300);
      for (const id of unacked) retry.send({ t: "send", clientId: id, text: textOf.get(id)! });
      const replies = await Promise.all(unacked.map((id) => retry.replyTo(id, 30_000)));
      for (const r of replies) expect(r.t).toBe("ack");
      const storedBefore = new Set(history.map((e) => e.clientId));
      for (const r of replies) expect(r.duplicate ?? false).toBe(storedBefore.has(r.clientId));
      const after = await alice2.fullHistory(conv.id);
      expectContiguous(after);
      const mine = after.filter((e) => e.kind === "message" && textOf.has(e.clientId));
      expect(mine.length).toBe(new Set([...acked.keys(), ...unacked, ...storedBefore].filter((id) => textOf.has(id))).size);
    }, 120_000);

    test("after a restart, resuming is either an exact replay or an explicit reset", async () => {
      const [alice, bob] = await ctx.users(2, "durr");
      const conv = await ctx.group(alice, [bob]);
      const { sock: sb, welcome } = await bob.join(conv.id);
      const { sock: sa } = await alice.join(conv.id);
      for (let i = 0; i < 5; i++) expect((await sa.sendMessage(`before ${i}`)).t).toBe("ack");
      const seen = await sb.take((f) => f.t === "event" && f.e.kind === "message", 5);
      const lastSeen = seen[4].e.seq as number;
      const [alice2, bob2] = await crashAndRestart(ctx, [alice, bob]);
      const { sock: sa2 } = await alice2.join(conv.id);
      for (let i = 0; i < 3; i++) expect((await sa2.sendMessage(`after ${i}`)).t).toBe("ack");
      const { welcome: w2 } = await bob2.join(conv.id, { after: lastSeen, epoch: welcome.conversation.epoch });
      const last = w2.conversation.lastSeq;
      expect(last).toBe(lastSeen + 3);
      const seqs = w2.events.map((e: any) => e.seq);
      if (w2.recovered) expect(seqs).toEqual([lastSeen + 1, lastSeen + 2, lastSeen + 3]);
      else expect(seqs[seqs.length - 1]).toBe(last);
    });

    test("accounts and conversations survive a restart", async () => {
      const [alice, bob] = await ctx.users(2, "dura");
      const conv = await ctx.group(alice, [bob], "kept title");
      const [alice2] = await crashAndRestart(ctx, [alice, bob]);
      const info = await alice2.must("GET", `/v1/conversations/${conv.id}`);
      expect(info.title).toBe("kept title");
      expect(info.members.map((m: any) => m.username).sort()).toEqual([alice.username, bob.username].sort());
      // Membership reaches the member's list before creation is confirmed, so it is there at once.
      const list = await alice2.must("GET", "/v1/conversations");
      expect(list.conversations.map((c: any) => c.id)).toContain(conv.id);
    });
  });
}
