/**
 * Mentions (protocol/mentions.ts): stored as member ids on the message event, refused when they
 * name a non-member or when "@all"/"@here" come from a non-admin or in a direct chat (and such a
 * refusal changes nothing), counted per member in the inbox summary beside `unread`, and counted
 * down again by reading and by deletion.
 */
import { describe, expect, test } from "bun:test";
import { newClientId, type TestSocket } from "../support/client.ts";
import { eventually, retarget, useTarget } from "./harness.ts";
import { LimitEnv, type SuiteOptions, type TargetFactory } from "./target.ts";

export function mentionTests(factory: TargetFactory, opts: SuiteOptions = {}): void {
  describe("mentions", () => {
    const ctx = useTarget(factory, { [LimitEnv.sendsPerSecond]: "1000" });
    const rowOf = async (u: { must(m: string, p: string): Promise<any> }, id: string) =>
      (await u.must("GET", "/v1/conversations")).conversations.find((c: any) => c.id === id);

    test("stored on the event and in history; counted per member in the inbox; reading and deleting count down", async () => {
      const [alice, bob, carol] = await ctx.users(3, "men");
      const conv = await ctx.group(alice, [bob, carol]);
      const { sock: sa } = await alice.join(conv.id);
      const { sock: sc } = await carol.join(conv.id);
      const { sock: sb } = await bob.join(conv.id);

      const m1 = await sa.sendMessage(`hi @${bob.username}`, newClientId("m"), { mentions: [bob.id, bob.id] });
      expect(m1.t).toBe("ack");
      const seen = await sb.next((f) => f.t === "event" && f.e.seq === m1.seq);
      expect(seen.e.mentions).toEqual([bob.id]); // each once
      await sa.sendMessage("plain");
      const all = await sa.sendMessage("@all lunch", newClientId("m"), { mentions: ["@all"] });
      const fromCarol = await sc.sendMessage(`@${bob.username} look`, newClientId("m"), { mentions: [bob.id] });
      expect((await alice.fullHistory(conv.id)).find((e) => e.seq === m1.seq).mentions).toEqual([bob.id]);

      expect(await eventually(async () => (await rowOf(bob, conv.id)).lastSeq === fromCarol.seq)).toBe(true);
      expect(await rowOf(bob, conv.id)).toMatchObject({ unread: 4, mentions: 3 });
      expect(await eventually(async () => (await rowOf(carol, conv.id)).mentions === 0)).toBe(true); // her own message read up to it
      expect((await rowOf(alice, conv.id)).mentions).toBe(0); // her own @all does not count for her
      // The mention of bob in a message carol deletes no longer counts for him.
      const del = newClientId("d");
      sc.send({ t: "delete", clientId: del, target: fromCarol.seq });
      expect((await sc.replyTo(del)).t).toBe("ack");
      expect(await eventually(async () => (await rowOf(bob, conv.id)).mentions === 2)).toBe(true);
      // Reading part of the log recounts from storage: what is left after m1 is the @all.
      sb.send({ t: "read", seq: m1.seq });
      expect(await eventually(async () => (await rowOf(bob, conv.id)).mentions === 1)).toBe(true);
      expect((await rowOf(bob, conv.id)).unread).toBe(2);
      sb.send({ t: "read", seq: all.seq });
      expect(await eventually(async () => (await rowOf(bob, conv.id)).mentions === 0)).toBe(true);
    });

    test("refused: a non-member, @all from a non-admin, @all in a direct chat; nothing is logged", async () => {
      const [alice, bob, dave] = await ctx.users(3, "menx");
      const conv = await ctx.group(alice, [bob]);
      const { sock: sb } = await bob.join(conv.id);
      const before = (await alice.must("GET", `/v1/conversations/${conv.id}`)).lastSeq;
      const refused = async (sock: TestSocket, mentions: unknown, code: string) => {
        const r = await sock.sendMessage("hey", newClientId("x"), { mentions });
        expect({ mentions, t: r.t, code: r.code }).toEqual({ mentions, t: "error", code });
      };
      await refused(sb, [dave.id], "bad_request");
      await refused(sb, ["@all"], "forbidden");
      await refused(sb, ["@here"], "forbidden");
      await refused(sb, "bob", "bad_request");
      await refused(sb, Array.from({ length: 51 }, () => bob.id), "bad_request");
      const rest = await bob.api("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("r"), text: "x", mentions: [dave.id] });
      expect([rest.status, rest.body.error.code]).toEqual([400, "bad_request"]);
      const restAll = await bob.api("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("r"), text: "x", mentions: ["@all"] });
      expect([restAll.status, restAll.body.error.code]).toEqual([403, "forbidden"]);
      expect((await alice.must("GET", `/v1/conversations/${conv.id}`)).lastSeq).toBe(before);

      const dm = await alice.createDirect(bob);
      const inDirect = await alice.api("POST", `/v1/conversations/${dm.id}/messages`, { clientId: newClientId("r"), text: "x", mentions: ["@all"] });
      expect([inDirect.status, inDirect.body.error.code]).toEqual([400, "bad_request"]);
      const ok = await alice.api("POST", `/v1/conversations/${dm.id}/messages`, { clientId: newClientId("r"), text: "x", mentions: [bob.id] });
      expect([200, 201]).toContain(ok.status);
    });

    // The count a restarted conversation starts from is read from storage (the JSON body's mentions).
    (opts.restartable === false ? test.skip : test)("after a restart the count is the stored one", async () => {
      const [alice, bob] = await ctx.users(2, "menr");
      const conv = await ctx.group(alice, [bob]);
      const { sock: sa } = await alice.join(conv.id);
      await sa.sendMessage("one", newClientId("m"), { mentions: [bob.id] });
      await sa.sendMessage("two", newClientId("m"), { mentions: ["@here"] });
      await ctx.target.restart!();
      const nx = retarget(ctx);
      const [alice2, bob2] = await Promise.all([nx.login(alice.username, alice.password), nx.login(bob.username, bob.password)]);
      const { sock } = await alice2.join(conv.id);
      const last = await sock.sendMessage("no mention");
      expect(await eventually(async () => (await rowOf(bob2, conv.id)).lastSeq === last.seq, 10_000)).toBe(true);
      expect(await rowOf(bob2, conv.id)).toMatchObject({ unread: 3, mentions: 2 });
    });
  });
}
