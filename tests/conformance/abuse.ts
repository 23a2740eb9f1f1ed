/**
 * Guarantee 9 — frames that write nothing are rate-limited, sockets per user are capped, and
 * presence follows the contacts-only rule (docs/protocol.md, docs/api.md). Over a frame limit the
 * frame does nothing and the socket gets `{t:"error", code:"rate_limited", retryAfter}`; past the
 * socket cap the upgrade is refused with HTTP 429.
 */
import { describe, expect, test } from "bun:test";
import { newClientId, type Session, type TestSocket } from "../support/client.ts";
import { eventually, useTarget } from "./harness.ts";
import { LimitEnv, type TargetFactory } from "./target.ts";

const MAX_SOCKETS = 3;
const settle = () => Bun.sleep(300);

export function abuseTests(factory: TargetFactory): void {
  describe("abuse limits", () => {
    const ctx = useTarget(factory, {
      [LimitEnv.historyPerSecond]: "1",
      [LimitEnv.typingPerSecond]: "1",
      [LimitEnv.presencePerSecond]: "1",
      [LimitEnv.maxSocketsPerUser]: String(MAX_SOCKETS),
    });

    const limited = (s: TestSocket) => s.all((f) => f.t === "error" && f.code === "rate_limited");

    test("history frames past the limit answer rate_limited with retryAfter and send no page", async () => {
      const [alice] = await ctx.users(1, "hist");
      const conv = await ctx.group(alice, []);
      const { sock } = await alice.join(conv.id);
      for (let i = 0; i < 12; i++) sock.send({ t: "history", limit: 5 });
      await sock.take((f) => f.t === "history" || (f.t === "error" && f.code === "rate_limited"), 12);
      const pages = sock.all("history").length;
      // Burst 2 at 1/s; a third may refill while twelve frames go out under load.
      expect(pages).toBeGreaterThanOrEqual(2);
      expect(pages).toBeLessThanOrEqual(3);
      const errors = limited(sock);
      expect(errors.length).toBe(12 - pages);
      for (const e of errors) expect(e.retryAfter).toBeGreaterThan(0);
    });

    test("typing toggles: only changes to on are limited, the others hear at most the burst", async () => {
      const [alice, bob] = await ctx.users(2, "typ");
      const conv = await ctx.group(alice, [bob]);
      const { sock: sa } = await alice.join(conv.id);
      const { sock: sb } = await bob.join(conv.id);
      for (let i = 0; i < 20; i++) sa.send({ t: "typing", on: i % 2 === 0 });
      await sa.take((f) => f.t === "error" && f.code === "rate_limited", 7);
      await settle();
      const ons = sb.all((f) => f.t === "typing" && f.userId === alice.id && f.on === true).length;
      expect(ons).toBeGreaterThanOrEqual(2);
      expect(ons).toBeLessThanOrEqual(3);
      expect(limited(sa).length).toBe(10 - ons);
      // Refreshing while on costs nothing: once a token is back, one change and five refreshes pass.
      await Bun.sleep(1100);
      const before = limited(sa).length;
      for (let i = 0; i < 6; i++) sa.send({ t: "typing", on: true });
      const onsNow = () => sb.all((f) => f.t === "typing" && f.userId === alice.id && f.on === true).length;
      expect(await eventually(async () => onsNow() === ons + 1)).toBe(true);
      await settle();
      expect(onsNow()).toBe(ons + 1);
      expect(limited(sa).length).toBe(before);
    });

    test("inbox presence toggles past the limit are refused and reach no contact", async () => {
      const [alice, bob] = await ctx.users(2, "pres");
      const dm = await alice.createDirect(bob);
      await speak(alice, dm.id);
      await speak(bob, dm.id);
      await contacts(alice, bob);
      const aliceInbox = await alice.openInbox();
      await aliceInbox.next("inbox");
      const bobInbox = await bob.openInbox();
      await bobInbox.next("inbox");
      await aliceInbox.next((f) => f.t === "presence" && f.p.userId === bob.id && f.p.status === "online");
      for (let i = 0; i < 20; i++) bobInbox.send({ t: "presence", status: i % 2 === 0 ? "away" : "online" });
      await bobInbox.take((f) => f.t === "error" && f.code === "rate_limited", 17);
      await settle();
      const told = aliceInbox.all((f) => f.t === "presence" && f.p.userId === bob.id).length - 1; // minus "online" on connect
      // Burst 2 at 1/s (a third may refill under load); a frame that changes nothing tells nobody.
      expect(told).toBeGreaterThanOrEqual(2);
      expect(told).toBeLessThanOrEqual(3);
      expect(limited(bobInbox).length).toBeGreaterThanOrEqual(17);
      expect(limited(bobInbox).length).toBeLessThanOrEqual(18);
    });

    test(`sockets per user are capped (${MAX_SOCKETS}): the next upgrade is refused with 429, a closed one frees a place`, async () => {
      const [alice, bob] = await ctx.users(2, "cap");
      const conv = await ctx.group(alice, [bob]);
      const open: TestSocket[] = [];
      for (let i = 0; i < MAX_SOCKETS; i++) open.push((await alice.join(conv.id)).sock);
      const over = await alice.openConversation(conv.id);
      const info = await over.closed;
      expect(info.opened).toBe(false);
      expect(info.rejectedStatus).toBe(429);
      // Other users are not affected.
      expect((await bob.join(conv.id)).welcome.t).toBe("welcome");
      await open.pop()!.close();
      expect(await eventually(async () => {
        const s = await alice.openConversation(conv.id);
        const ok = await Promise.race([s.welcome(3000).then(() => true, () => false), s.closed.then(() => false)]);
        if (!ok) await s.close().catch(() => {});
        return ok;
      }, 5000, 200)).toBe(true);
    });

    // On Cloudflare the cap was per Durable Object: one user could hold MAX sockets in each of
    // hundreds of conversations. It is the user's, across conversations and the inbox.
    test(`the socket cap holds across a user's conversations and inbox: the ${MAX_SOCKETS + 1}th socket anywhere is refused`, async () => {
      const [alice] = await ctx.users(1, "capx");
      const convs = [await ctx.group(alice, []), await ctx.group(alice, [])];
      const open: TestSocket[] = [(await alice.join(convs[0]!.id)).sock, (await alice.join(convs[1]!.id)).sock];
      const inbox = await alice.openInbox();
      await inbox.next("inbox");
      open.push(inbox);
      expect(open.length).toBe(MAX_SOCKETS);
      for (const attempt of [() => alice.openConversation(convs[0]!.id), () => alice.openConversation(convs[1]!.id), () => alice.openInbox()]) {
        const info = await (await attempt()).closed;
        expect(info.opened).toBe(false);
        expect(info.rejectedStatus).toBe(429);
      }
      // A place freed in one conversation can be used in another.
      await open.shift()!.close();
      expect(await eventually(async () => {
        const s = await alice.openConversation(convs[1]!.id);
        const ok = await Promise.race([s.welcome(3000).then(() => true, () => false), s.closed.then(() => false)]);
        if (!ok) await s.close().catch(() => {});
        return ok;
      }, 5000, 200)).toBe(true);
    });

    test("presence is shown only by people who took part: a direct chat nobody answered discloses nothing", async () => {
      const [mallory, victim] = await ctx.users(2, "vic");
      const victimInbox = await victim.openInbox();
      await victimInbox.next("inbox");
      const dm = await mallory.createDirect(victim);
      await speak(mallory, dm.id);
      const ask = async () => (await mallory.must("GET", `/v1/presence?userIds=${victim.id}`)).presence;
      expect(await ask()).toEqual([]);
      const malloryInbox = await mallory.openInbox();
      const welcome = await malloryInbox.next("inbox");
      expect(welcome.presence.map((p: any) => p.userId)).not.toContain(victim.id);
      victimInbox.send({ t: "presence", status: "away" });
      await settle();
      expect(malloryInbox.all((f) => f.t === "presence" && f.p.userId === victim.id)).toEqual([]);
      expect(await ask()).toEqual([]);
      // The victim answers: from now on they are a contact, and mallory's open inbox is told at once.
      await speak(victim, dm.id);
      const told = await malloryInbox.next((f) => f.t === "presence" && f.p.userId === victim.id);
      expect(told.p.status).toBe("away");
      expect(await eventually(async () => (await ask()).length === 1)).toBe(true);
      expect((await ask())[0]).toMatchObject({ userId: victim.id, status: "away" });
      victimInbox.send({ t: "presence", status: "online" });
      await malloryInbox.next((f) => f.t === "presence" && f.p.userId === victim.id && f.p.status === "online");
    });
  });
}

/** Wait until `who` may see `of`'s presence (both took part; the summaries travel after a commit). */
async function contacts(who: Session, of: Session): Promise<void> {
  const seen = await eventually(async () => (await who.must("GET", `/v1/presence?userIds=${of.id}`)).presence.length === 1);
  expect(seen).toBe(true);
}

async function speak(who: Session, conversationId: string): Promise<void> {
  await who.must("POST", `/v1/conversations/${conversationId}/messages`, { clientId: newClientId("sp"), text: "hello" }, 201);
}
