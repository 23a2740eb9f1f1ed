/**
 * Pinned messages: pin/unpin are `pin` events in the log (socket frame or REST), the message shows
 * `pinned` in history, GET …/pins lists what is pinned; any member pins in a direct chat, only
 * admins in a group; pinning twice, unpinning what is not pinned, or pinning what is not a message
 * is refused and logs nothing; a deleted message leaves the pins.
 */
import { describe, expect, test } from "bun:test";
import { newClientId, type TestSocket } from "../support/client.ts";
import { useTarget } from "./harness.ts";
import { LimitEnv, type TargetFactory } from "./target.ts";

async function pinFrame(sock: TestSocket, target: number, on: boolean): Promise<any> {
  const clientId = newClientId("pin");
  sock.send({ t: "pin", clientId, target, on });
  return sock.replyTo(clientId);
}

export function pinTests(factory: TargetFactory): void {
  describe("pinned messages", () => {
    const ctx = useTarget(factory, { [LimitEnv.sendsPerSecond]: "1000" });

    test("a direct chat: either member pins and unpins; events, history and the pins list agree", async () => {
      const [alice, bob, dave] = await ctx.users(3, "pin");
      const dm = await alice.createDirect(bob);
      const { sock: sa } = await alice.join(dm.id);
      const { sock: sb } = await bob.join(dm.id);
      const m = await sa.sendMessage("remember this");
      await sa.sendMessage("and not this");

      const ack = await pinFrame(sb, m.seq, true);
      expect(ack.t).toBe("ack");
      const ev = await sa.next((f) => f.t === "event" && f.e.seq === ack.seq);
      expect(ev.e).toMatchObject({ kind: "pin", author: bob.id, target: m.seq, on: true });
      const pins = (await alice.must("GET", `/v1/conversations/${dm.id}/pins`)).pins;
      expect(pins.map((p: any) => [p.seq, p.text, p.pinned.by])).toEqual([[m.seq, "remember this", bob.id]]);
      expect((await alice.fullHistory(dm.id)).find((e) => e.seq === m.seq).pinned).toMatchObject({ by: bob.id });

      const before = (await alice.must("GET", `/v1/conversations/${dm.id}`)).lastSeq;
      expect((await pinFrame(sa, m.seq, true)).code).toBe("conflict");
      expect((await pinFrame(sa, m.seq + 1, false)).code).toBe("conflict");
      expect((await pinFrame(sa, 1, true)).code).toBe("not_found"); // seq 1 is "created", not a message
      expect((await pinFrame(sa, 9999, true)).code).toBe("not_found");
      const nonMember = await dave.api("GET", `/v1/conversations/${dm.id}/pins`);
      expect(nonMember.status).toBe(403);
      const nonMemberPin = await dave.api("POST", `/v1/conversations/${dm.id}/pins`, { clientId: newClientId("p"), target: m.seq });
      expect(nonMemberPin.status).toBe(403);
      expect((await alice.must("GET", `/v1/conversations/${dm.id}`)).lastSeq).toBe(before);

      // REST unpins (and pins again): the same events.
      const off = await alice.api("POST", `/v1/conversations/${dm.id}/pins`, { clientId: newClientId("p"), target: m.seq, on: false });
      expect(off.status).toBe(201);
      expect((await sb.next((f) => f.t === "event" && f.e.seq === off.body.seq)).e).toMatchObject({ kind: "pin", on: false, author: alice.id });
      expect((await alice.must("GET", `/v1/conversations/${dm.id}/pins`)).pins).toEqual([]);
      expect((await alice.fullHistory(dm.id)).find((e) => e.seq === m.seq).pinned).toBeUndefined();

      const again = await alice.api("POST", `/v1/conversations/${dm.id}/pins`, { clientId: newClientId("p"), target: m.seq });
      expect(again.status).toBe(201);
      expect((await bob.must("GET", `/v1/conversations/${dm.id}/pins`)).pins.map((p: any) => p.seq)).toEqual([m.seq]);
      // Deleting a pinned message unpins it.
      expect((await alice.api("DELETE", `/v1/conversations/${dm.id}/messages/${m.seq}`)).status).toBe(200);
      expect((await bob.must("GET", `/v1/conversations/${dm.id}/pins`)).pins).toEqual([]);
    });

    test("a group: only admins pin; bad bodies are 400 and log nothing", async () => {
      const [alice, bob] = await ctx.users(2, "ping");
      const conv = await ctx.group(alice, [bob]);
      const { sock: sb } = await bob.join(conv.id);
      const m = await sb.sendMessage("a member's message");
      const before = (await alice.must("GET", `/v1/conversations/${conv.id}`)).lastSeq;
      expect((await pinFrame(sb, m.seq, true)).code).toBe("forbidden");
      const rest = await bob.api("POST", `/v1/conversations/${conv.id}/pins`, { clientId: newClientId("p"), target: m.seq });
      expect([rest.status, rest.body.error.code]).toEqual([403, "forbidden"]);
      for (const body of [{}, { clientId: newClientId("p") }, { clientId: newClientId("p"), target: 0 }, { clientId: newClientId("p"), target: m.seq, on: "yes" }]) {
        const res = await alice.api("POST", `/v1/conversations/${conv.id}/pins`, body);
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
      }
      expect((await alice.must("GET", `/v1/conversations/${conv.id}`)).lastSeq).toBe(before);
      const ok = await alice.api("POST", `/v1/conversations/${conv.id}/pins`, { clientId: newClientId("p"), target: m.seq });
      expect(ok.status).toBe(201);
      expect((await bob.must("GET", `/v1/conversations/${conv.id}/pins`)).pins.map((p: any) => p.pinned.by)).toEqual([alice.id]);
    });
  });
}
