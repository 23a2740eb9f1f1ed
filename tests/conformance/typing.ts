/**
 * Guarantee 6 — typing indicators are ephemeral: broadcast to the other members, listed in a
 * newcomer's welcome while fresh, gone after NEXUS_TYPING_TTL_MS without a refresh, and never
 * written to history or given a seq.
 */
import { describe, expect, test } from "bun:test";
import { useTarget } from "./harness.ts";
import { LimitEnv, type TargetFactory } from "./target.ts";

const TTL = 1000;

export function typingTests(factory: TargetFactory): void {
  describe("typing", () => {
    const ctx = useTarget(factory, { [LimitEnv.typingTtlMs]: String(TTL) });

    test("typing reaches the others (not the typist), shows in a newcomer's welcome, and never enters history", async () => {
      const [alice, bob, carol] = await ctx.users(3, "typ");
      const conv = await ctx.group(alice, [bob, carol]);
      const { sock: sa, welcome } = await alice.join(conv.id);
      const { sock: sb } = await bob.join(conv.id);
      sa.send({ t: "typing", on: true });
      const seen = await sb.next("typing");
      expect(seen).toMatchObject({ t: "typing", userId: alice.id, on: true });
      const { welcome: cw } = await carol.join(conv.id);
      expect(cw.typing).toContain(alice.id);
      // The typist gets no echo: a message sent after typing arrives with no typing frame about herself first.
      const ack = await sb.sendMessage("sentinel");
      await sa.next((f) => f.t === "event" && f.e.seq === ack.seq);
      expect(sa.all((f) => f.t === "typing" && f.userId === alice.id)).toEqual([]);
      // No seq was used and history holds no trace of typing.
      expect(ack.seq).toBe(welcome.conversation.lastSeq + 1);
      const history = await alice.fullHistory(conv.id);
      expect(history.map((e) => e.kind)).not.toContain("typing");
    });

    test("typing on:false is broadcast", async () => {
      const [alice, bob] = await ctx.users(2, "typo");
      const conv = await ctx.group(alice, [bob]);
      const { sock: sa } = await alice.join(conv.id);
      const { sock: sb } = await bob.join(conv.id);
      sa.send({ t: "typing", on: true });
      await sb.next((f) => f.t === "typing" && f.on === true);
      sa.send({ t: "typing", on: false });
      expect(await sb.next((f) => f.t === "typing" && f.on === false)).toMatchObject({ userId: alice.id });
    });

    test("without a refresh typing expires after the TTL", async () => {
      const [alice, bob] = await ctx.users(2, "type");
      const conv = await ctx.group(alice, [bob]);
      const { sock: sa } = await alice.join(conv.id);
      const { sock: sb } = await bob.join(conv.id);
      sa.send({ t: "typing", on: true });
      await sb.next((f) => f.t === "typing" && f.on === true);
      // Either an explicit on:false frame, or (hosts that let it lapse silently) absence from a later welcome.
      const off = await sb.next((f) => f.t === "typing" && f.on === false, TTL * 5).catch(() => undefined);
      if (off) expect(off.userId).toBe(alice.id);
      else await Bun.sleep(TTL);
      const { welcome } = await bob.join(conv.id);
      expect(welcome.typing).not.toContain(alice.id);
    });
  });
}
