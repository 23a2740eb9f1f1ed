/**
 * Notification settings (protocol/notify.ts) and Web Push (RFC 8030/8291/8292), on every host.
 * Settings are the user's own, validated, stored, and pushed to every inbox socket as a `notify`
 * frame; a direct message or a mention for a user with no inbox socket open reaches each of their
 * subscriptions through a local push service (../support/pushEndpoint.ts), which verifies the VAPID
 * JWT and decrypts the payload; levels and mute silence it; a 410 removes the subscription.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { createECDH } from "node:crypto";
import { newClientId } from "../support/client.ts";
import { startPushEndpoint } from "../support/pushEndpoint.ts";
import { eventually, useTarget } from "./harness.ts";
import type { TargetFactory } from "./target.ts";

/** A VAPID pair as an operator would set it (VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY). */
function vapidEnv(): Record<string, string> {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  return { VAPID_PUBLIC_KEY: ecdh.getPublicKey().toString("base64url"), VAPID_PRIVATE_KEY: Buffer.from(ecdh.getPrivateKey().toString("hex").padStart(64, "0"), "hex").toString("base64url"),
    VAPID_SUBJECT: "mailto:ops@example.com" };
}

export function notificationTests(factory: TargetFactory): void {
  describe("notification settings and web push", () => {
    const push = startPushEndpoint();
    const vapid = vapidEnv();
    const ctx = useTarget(factory, { ...vapid, NODE_EXTRA_CA_CERTS: push.caFile });
    afterAll(() => push.stop());

    test("settings: own, validated, stored, synced to every device", async () => {
      const [ann, ben] = await ctx.users(2, "nset");
      const dm = await ann.createDirect(ben);
      expect(await ann.must("GET", "/v1/me/notifications")).toEqual({ conversations: {}, dnd: { schedule: null, pausedUntil: null } });
      const other = await ann.openInbox();
      expect((await other.next((f) => f.t === "inbox")).notify).toEqual({ conversations: {}, dnd: { schedule: null, pausedUntil: null } });

      const before = Date.now();
      const set = await ann.must("PUT", `/v1/me/notifications/conversations/${dm.id}`, { level: "mentions", mute: 60 });
      expect(set.conversations[dm.id].level).toBe("mentions");
      expect(set.conversations[dm.id].muted.until).toBeGreaterThanOrEqual(before + 3_600_000);
      expect((await other.next((f) => f.t === "notify")).settings).toEqual(set); // the other device hears it

      const dnd = await ann.must("PUT", "/v1/me/notifications/dnd", { schedule: { from: "22:00", to: "07:00", timeZone: "Europe/Berlin" }, pauseMinutes: 30 });
      expect(dnd.dnd.schedule).toEqual({ from: "22:00", to: "07:00", timeZone: "Europe/Berlin" });
      expect(dnd.dnd.pausedUntil).toBeGreaterThanOrEqual(before + 1_800_000);
      expect(dnd.conversations).toEqual(set.conversations);

      // Bad input: refused, nothing changes.
      for (const [path, body] of [
        [`/v1/me/notifications/conversations/${dm.id}`, { level: "loud" }],
        [`/v1/me/notifications/conversations/${dm.id}`, { level: "all", mute: 0 }],
        ["/v1/me/notifications/dnd", { schedule: { from: "25:00", to: "07:00", timeZone: "Europe/Berlin" } }],
        ["/v1/me/notifications/dnd", { schedule: { from: "22:00", to: "07:00", timeZone: "Mars/Olympus" } }],
      ] as const) expect((await ann.api("PUT", path, body)).status).toBe(400);
      expect((await ann.api("PUT", "/v1/me/notifications/conversations/g_notminenotmine", { level: "nothing" })).status).toBe(404);
      expect(await ann.must("GET", "/v1/me/notifications")).toEqual(dnd);
      // Ben's are his own.
      expect((await ben.must("GET", "/v1/me/notifications")).conversations).toEqual({});
      // Back to the default: the conversation has no entry.
      const cleared = await ann.must("PUT", `/v1/me/notifications/conversations/${dm.id}`, { level: "all" });
      expect(cleared.conversations).toEqual({});
    });

    test("subscriptions: validated, https only, per user", async () => {
      const [u] = await ctx.users(1, "nsub");
      expect((await u.must("GET", "/v1/push/key")).publicKey).toBe(vapid.VAPID_PUBLIC_KEY);
      const sub = push.subscription();
      expect((await u.api("POST", "/v1/push/subscriptions", { ...sub, endpoint: sub.endpoint.replace("https:", "http:") })).status).toBe(400);
      expect((await u.api("POST", "/v1/push/subscriptions", { ...sub, keys: { p256dh: "short", auth: sub.keys.auth } })).status).toBe(400);
      expect((await u.must("GET", "/v1/push/subscriptions")).endpoints).toEqual([]);
      await u.must("POST", "/v1/push/subscriptions", sub, 204);
      await u.must("POST", "/v1/push/subscriptions", sub, 204); // again: one device, one row
      expect((await u.must("GET", "/v1/push/subscriptions")).endpoints).toEqual([sub.endpoint]);
      await u.must("DELETE", "/v1/push/subscriptions", { endpoint: sub.endpoint }, 204);
      expect((await u.must("GET", "/v1/push/subscriptions")).endpoints).toEqual([]);
    });

    test("push: direct messages and mentions for a user with no socket; levels and mute; 410 removes", async () => {
      const [ann, ben, cat] = await ctx.users(3, "npush");
      const dm = await ann.createDirect(ben);
      const group = await ctx.group(ann, [ben, cat]);
      const sub = push.subscription();
      await ben.must("POST", "/v1/push/subscriptions", sub, 204);
      const to = (conv: string) => push.deliveries.filter((d) => d.subscription === sub.endpoint && d.payload.conversationId === conv);
      const { sock: sd } = await ann.join(dm.id);
      const { sock: sg } = await ann.join(group.id);

      const first = await sd.sendMessage("lunch at noon?");
      expect(await eventually(async () => to(dm.id).length === 1)).toBe(true);
      const d = to(dm.id)[0]!;
      expect(d.payload).toEqual({ conversationId: dm.id, kind: "direct", title: ann.username, body: "lunch at noon?", seq: first.seq });
      expect(d.vapidKey).toBe(vapid.VAPID_PUBLIC_KEY);
      expect(d.claims).toMatchObject({ aud: push.origin, sub: "mailto:ops@example.com" });

      // A group message that names nobody makes no push; one that mentions ben does.
      await sg.sendMessage("plain words");
      const m = await sg.sendMessage(`@${ben.username} see this`, newClientId("m"), { mentions: [ben.id] });
      expect(await eventually(async () => to(group.id).length === 1)).toBe(true);
      expect(to(group.id)[0]!.payload).toMatchObject({ kind: "mention", seq: m.seq, body: `${ann.username}: @${ben.username} see this` });

      // Muted: nothing; unmuted again: the next one arrives (and only it).
      await ben.must("PUT", `/v1/me/notifications/conversations/${dm.id}`, { level: "all", mute: "forever" });
      const muted = await sd.sendMessage("while muted");
      const row = async () => (await ben.must("GET", "/v1/conversations")).conversations.find((c: any) => c.id === dm.id);
      expect(await eventually(async () => (await row()).lastSeq >= muted.seq)).toBe(true);
      await ben.must("PUT", `/v1/me/notifications/conversations/${dm.id}`, { level: "all" });
      const after = await sd.sendMessage("unmuted");
      expect(await eventually(async () => to(dm.id).length >= 2)).toBe(true);
      expect(to(dm.id).map((x) => x.payload.seq)).toEqual([first.seq, after.seq]);

      // An open inbox socket: he is looking, no push.
      const inbox = await ben.openInbox();
      await inbox.next((f) => f.t === "inbox");
      const seen = await sd.sendMessage("you are here");
      await inbox.next((f) => f.t === "conv" && f.c.id === dm.id && f.c.lastSeq >= seen.seq);
      await inbox.close();

      // The push service says the subscription is gone: it is removed (a message is sent until the
      // inbox has seen its socket go and pushes again).
      push.answer(sub.endpoint, 410);
      expect(await eventually(async () => {
        await sd.sendMessage("into the void");
        return (await ben.must("GET", "/v1/push/subscriptions")).endpoints.length === 0;
      }, 10_000, 500)).toBe(true);
      expect(to(dm.id).map((x) => x.payload.seq)).toEqual([first.seq, after.seq]);
      expect(push.refused).toEqual([]);
    });
  });
}
