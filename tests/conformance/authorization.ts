/**
 * Guarantee 5 — every operation checks the caller. Non-members cannot connect, read or send;
 * only the author edits; deleting another's message needs group admin or account admin; a removed
 * member's open socket is closed at once with 4003 and cannot come back.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { newClientId, type Session, type TestSocket } from "../support/client.ts";
import { openRawWebSocket } from "../support/rawws.ts";
import { useTarget } from "./harness.ts";
import type { TargetFactory } from "./target.ts";

const refusedStatus = (s: number | undefined) => s === 401 || s === 403 || s === 404;

/** The socket never got a welcome and was refused (HTTP 401/403/404 or close 4003/4004). */
async function expectRefused(sock: TestSocket): Promise<void> {
  const info = await sock.closed;
  expect(sock.all("welcome")).toEqual([]);
  const refused = info.opened ? [4003, 4004].includes(info.code) : refusedStatus(info.rejectedStatus) || info.rejectedStatus === undefined;
  // The whole answer in the failure, not only `false`.
  expect(refused ? "refused" : JSON.stringify({ opened: info.opened, code: info.code, reason: info.reason, status: info.rejectedStatus })).toBe("refused");
}

/** Same, with the exact handshake status checked over a raw socket. */
async function expectRawRefused(url: string): Promise<void> {
  const raw = await openRawWebSocket(url);
  try {
    if (raw.status === 101) {
      const code = await Promise.race([raw.closeFrame, raw.ended.then(() => raw.closeCode() ?? 0)]);
      expect([4003, 4004]).toContain(code);
      expect(raw.texts.some((t) => JSON.parse(t).t === "welcome")).toBe(false);
    } else expect(refusedStatus(raw.status)).toBe(true);
  } finally {
    raw.destroy();
  }
}

const forbidden = (status: number) => status === 403 || status === 404;

export function authorizationTests(factory: TargetFactory): void {
  describe("authorization", () => {
    const ctx = useTarget(factory);
    let alice: Session, bob: Session, carol: Session, mallory: Session;
    let conv: any;
    const lastSeq = async () => (await alice.must("GET", `/v1/conversations/${conv.id}`)).lastSeq as number;

    // alice's group with bob and carol; root (account admin) joins as a plain member.
    beforeAll(async () => {
      [alice, bob, carol, mallory] = await ctx.users(4, "auth");
      conv = await ctx.group(alice, [bob, carol]);
      await alice.must("POST", `/v1/conversations/${conv.id}/members`, { username: ctx.root.username });
    });

    test("the first account is account admin, later ones are plain users", async () => {
      expect(ctx.root.user.role).toBe("admin");
      expect(bob.user.role).toBe("user");
    });

    test("requests without a valid token are refused with 401", async () => {
      const none = await ctx.nx.request("GET", "/v1/conversations");
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe("unauthorized");
      const bad = await ctx.nx.request("GET", `/v1/conversations/${conv.id}/messages`, undefined, "not.a.token");
      expect(bad.status).toBe(401);
      const ticketless = ctx.nx.openSocket(`/v1/ws/conversations/${conv.id}?ticket=${"x".repeat(40)}`);
      await expectRefused(ticketless);
    });

    test("a non-member cannot connect, read, send or see the conversation", async () => {
      const before = await lastSeq();
      await expectRefused(await mallory.openConversation(conv.id));
      await expectRawRefused(ctx.nx.wsUrl(`/v1/ws/conversations/${conv.id}?ticket=${await mallory.ticket()}`));
      expect(forbidden((await mallory.api("GET", `/v1/conversations/${conv.id}/messages`)).status)).toBe(true);
      expect(forbidden((await mallory.api("GET", `/v1/conversations/${conv.id}`)).status)).toBe(true);
      const send = await mallory.api("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("m"), text: "let me in" });
      expect(forbidden(send.status)).toBe(true);
      expect(forbidden((await mallory.api("POST", `/v1/conversations/${conv.id}/members`, { username: mallory.username })).status)).toBe(true);
      const list = await mallory.must("GET", "/v1/conversations");
      expect(list.conversations.map((c: any) => c.id)).not.toContain(conv.id);
      expect(await lastSeq()).toBe(before);
    });

    test("a third party cannot open someone else's direct conversation", async () => {
      const dm = await alice.createDirect(bob);
      expect((await alice.createDirect(bob)).id).toBe(dm.id);
      await expectRefused(await carol.openConversation(dm.id));
      expect(forbidden((await carol.api("GET", `/v1/conversations/${dm.id}/messages`)).status)).toBe(true);
    });

    test("unknown conversation: refused with 404 / 4004, not created", async () => {
      const ghost = "g_doesnotexist123";
      await expectRefused(await alice.openConversation(ghost));
      const res = await alice.api("GET", `/v1/conversations/${ghost}`);
      expect([403, 404].includes(res.status) ? 404 : `${res.status} ${res.text}`).toBe(404);
    });

    test("only group admins rename and add members", async () => {
      const before = await lastSeq();
      expect((await bob.api("PATCH", `/v1/conversations/${conv.id}`, { title: "bob's now" })).status).toBe(403);
      expect((await bob.api("POST", `/v1/conversations/${conv.id}/members`, { username: mallory.username })).status).toBe(403);
      expect((await bob.api("PATCH", `/v1/conversations/${conv.id}/members/${carol.id}`, { role: "admin" })).status).toBe(403);
      expect(await lastSeq()).toBe(before);
    });

    test("only the author edits; not even a group admin edits another's message", async () => {
      const { sock: sb } = await bob.join(conv.id);
      const { sock: sc } = await carol.join(conv.id);
      const { sock: sa } = await alice.join(conv.id);
      const msg = await sb.sendMessage("bob's words");
      for (const sock of [sc, sa]) {
        const clientId = newClientId("e");
        sock.send({ t: "edit", clientId, target: msg.seq, text: "not yours" });
        const reply = await sock.replyTo(clientId);
        expect(reply.t).toBe("error");
        expect(reply.code).toBe("forbidden");
      }
      const ok = newClientId("e");
      sb.send({ t: "edit", clientId: ok, target: msg.seq, text: "bob's better words" });
      expect((await sb.replyTo(ok)).t).toBe("ack");
      const history = await bob.fullHistory(conv.id);
      expect(history.find((e) => e.seq === msg.seq)?.text).toBe("bob's better words");
    });

    test("deleting another's message: refused for members, allowed for group admin and account admin", async () => {
      const { sock: sb } = await bob.join(conv.id);
      const { sock: sc } = await carol.join(conv.id);
      const m1 = await sb.sendMessage("delete me 1");
      const m2 = await sb.sendMessage("delete me 2");
      const clientId = newClientId("del");
      sc.send({ t: "delete", clientId, target: m1.seq });
      const refused = await sc.replyTo(clientId);
      expect(refused).toMatchObject({ t: "error", code: "forbidden" });
      expect((await carol.api("DELETE", `/v1/conversations/${conv.id}/messages/${m1.seq}`)).status).toBe(403);
      expect((await alice.api("DELETE", `/v1/conversations/${conv.id}/messages/${m1.seq}`)).status).toBe(200);
      expect((await ctx.root.api("DELETE", `/v1/conversations/${conv.id}/messages/${m2.seq}`)).status).toBe(200);
      const history = await bob.fullHistory(conv.id);
      expect(history.find((e) => e.seq === m1.seq)?.deleted).toBe(true);
      expect(history.find((e) => e.seq === m2.seq)?.deleted).toBe(true);
    });

    test("a removed member's open socket is closed with 4003 at once and cannot reconnect or read", async () => {
      const { sock: sc } = await carol.join(conv.id);
      const inbox = await carol.openInbox();
      await inbox.next("inbox");
      const { sock: sb } = await bob.join(conv.id);
      const removal = await alice.api("DELETE", `/v1/conversations/${conv.id}/members/${carol.id}`);
      expect(removal.status).toBe(200);
      const closed = await sc.closed;
      expect(closed.code).toBe(4003);
      // Others see the membership event.
      const ev = await sb.next((f) => f.t === "event" && f.e.kind === "member" && f.e.userId === carol.id);
      expect(ev.e.action).toBe("remove");
      expect(ev.e.seq).toBe(removal.body.seq);
      // Carol's inbox is told.
      expect((await inbox.next("removed")).conversationId).toBe(conv.id);
      await expectRefused(await carol.openConversation(conv.id));
      expect(forbidden((await carol.api("GET", `/v1/conversations/${conv.id}/messages`)).status)).toBe(true);
      const send = await carol.api("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("x"), text: "still here?" });
      expect(forbidden(send.status)).toBe(true);
      // And nothing carol sends after removal reaches bob: the next event bob sees is alice's.
      const { sock: sa } = await alice.join(conv.id);
      const after = await sa.sendMessage("after removal");
      const next = await sb.next((f) => f.t === "event" && f.e.seq > removal.body.seq);
      expect(next.e.seq).toBe(after.seq);
    });

    test("attachments: members upload and download; others cannot", async () => {
      const bytes = new TextEncoder().encode("private bytes");
      const up = await ctx.nx.request("POST", `/v1/attachments?conversationId=${conv.id}&name=note.txt`, bytes, bob.token, { "content-type": "text/plain" });
      expect(up.status).toBe(201);
      expect(up.body).toMatchObject({ name: "note.txt", size: bytes.byteLength, conversationId: conv.id });
      const path = `/v1/conversations/${conv.id}/attachments/${up.body.id}`;
      const got = await alice.api("GET", path);
      expect(got.status).toBe(200);
      expect(got.text).toBe("private bytes");
      expect(forbidden((await mallory.api("GET", path)).status)).toBe(true);
      const sneaky = await ctx.nx.request("POST", `/v1/attachments?conversationId=${conv.id}&name=x.txt`, bytes, mallory.token, { "content-type": "text/plain" });
      expect(forbidden(sneaky.status)).toBe(true);
      // Referencing it in a message shows it to members.
      const { sock: sb } = await bob.join(conv.id);
      const ack = await sb.sendMessage("see attached", newClientId("att"), { attachments: [up.body.id] });
      expect(ack.t).toBe("ack");
      const row = (await alice.fullHistory(conv.id)).find((e) => e.seq === ack.seq);
      expect(row.attachments.map((a: any) => a.id)).toEqual([up.body.id]);
    });

    test("search only finds messages in the caller's conversations", async () => {
      const word = `zebra${Date.now().toString(36)}`;
      const { sock: sb } = await bob.join(conv.id);
      const ack = await sb.sendMessage(`the ${word} is here`);
      const hits = await alice.must("GET", `/v1/search?q=${word}`);
      expect(hits.hits.map((h: any) => h.event.seq)).toContain(ack.seq);
      const none = await mallory.must("GET", `/v1/search?q=${word}`);
      expect(none.hits).toEqual([]);
      const scoped = await mallory.api("GET", `/v1/search?q=${word}&conversationId=${conv.id}`);
      expect(scoped.status === 200 ? scoped.body.hits : []).toEqual([]);
    });

    test("locking an account closes its sockets with 4003 and refuses it until unlocked", async () => {
      const [erin] = await ctx.users(1, "lock");
      expect((await alice.api("POST", `/v1/conversations/${conv.id}/members`, { username: erin.username })).status).toBe(200);
      const { sock } = await erin.join(conv.id);
      expect((await bob.api("POST", `/v1/admin/users/${erin.id}/lock`, {})).status).toBe(403);
      expect((await ctx.root.api("POST", `/v1/admin/users/${erin.id}/lock`, {})).status).toBe(204);
      const login = await ctx.nx.request("POST", "/v1/auth/login", { username: erin.username, password: erin.password });
      expect(login.status).toBe(423);
      expect(login.body.error.code).toBe("account_locked");
      expect([401, 403, 423]).toContain((await erin.api("POST", "/v1/ws-ticket")).status);
      // Sockets opened before the lock must not outlive it (AUTH_CACHE_MS allows a short delay).
      const closed = await Promise.race([sock.closed, Bun.sleep(20_000).then(() => undefined)]);
      expect(closed?.code).toBe(4003);
      expect((await ctx.root.api("POST", `/v1/admin/users/${erin.id}/unlock`)).status).toBe(204);
      const again = await ctx.nx.login(erin.username, erin.password);
      const { welcome } = await again.join(conv.id);
      expect(welcome.conversation.id).toBe(conv.id);
    });

    // Issue #18 item 14: a socket stayed open after its session's logout. Now the sockets of the
    // session that ended close with 4001 (the other device's stay), "log out everywhere" closes all,
    // and so does a refresh family revoked for reuse.
    test("logout closes that session's sockets with 4001; the other session's stay; everywhere closes all; a reused refresh token too", async () => {
      const [fay, gus, hal] = await ctx.users(3, "sess");
      for (const u of [fay, gus, hal]) expect((await alice.api("POST", `/v1/conversations/${conv.id}/members`, { username: u.username })).status).toBe(200);
      const open = async (s: Session) => {
        const inbox = await s.openInbox();
        await inbox.next("inbox");
        return { conv: (await s.join(conv.id)).sock, inbox };
      };
      // fay signs in twice (laptop, phone) and logs the laptop out; gus on two devices logs out
      // everywhere; hal's refresh token is used twice (a stolen copy), which revokes his session.
      const fayPhone = await ctx.nx.login(fay.username, fay.password);
      const gusPhone = await ctx.nx.login(gus.username, gus.password);
      const [fayLaptopS, fayPhoneS, gusS, gusPhoneS, halS] = [await open(fay), await open(fayPhone), await open(gus), await open(gusPhone), await open(hal)];
      const logout = await ctx.nx.request("POST", "/v1/auth/logout", { refreshToken: fay.refreshToken });
      const everywhere = await ctx.nx.request("POST", "/v1/auth/logout", { refreshToken: gus.refreshToken, everywhere: true });
      expect([logout.status, everywhere.status]).toEqual([204, 204]);
      expect((await ctx.nx.request("POST", "/v1/auth/refresh", { refreshToken: hal.refreshToken })).status).toBe(200);
      expect((await ctx.nx.request("POST", "/v1/auth/refresh", { refreshToken: hal.refreshToken })).status).toBe(401);
      const closes = await Promise.all([fayLaptopS, gusS, gusPhoneS, halS].flatMap((s) => [s.conv.closed, s.inbox.closed]));
      expect(closes.map((c) => c.code)).toEqual(Array(8).fill(4001));
      // fay's phone session is untouched; gus's other session ended with the rest.
      for (const sock of [fayPhoneS.conv, fayPhoneS.inbox]) {
        sock.send({ t: "ping" });
        await sock.next("pong");
      }
      expect((await ctx.nx.request("POST", "/v1/auth/refresh", { refreshToken: gusPhone.refreshToken })).status).toBe(401);
      expect((await ctx.nx.request("POST", "/v1/auth/refresh", { refreshToken: fayPhone.refreshToken })).status).toBe(200);
    });

    test("leaving: a member may remove themselves, not others", async () => {
      const dave = (await ctx.users(1, "leave"))[0];
      expect((await alice.api("POST", `/v1/conversations/${conv.id}/members`, { username: dave.username })).status).toBe(200);
      expect((await dave.api("DELETE", `/v1/conversations/${conv.id}/members/${bob.id}`)).status).toBe(403);
      const left = await dave.api("DELETE", `/v1/conversations/${conv.id}/members/${dave.id}`);
      expect(left.status).toBe(200);
      const history = await alice.fullHistory(conv.id);
      expect(history.find((e) => e.seq === left.body.seq)).toMatchObject({ kind: "member", userId: dave.id, action: "leave" });
      expect(forbidden((await dave.api("GET", `/v1/conversations/${conv.id}/messages`)).status)).toBe(true);
    });

    // Issue #18 item 14: a ticket (30 s, in a URL) could open any number of sockets until it expired.
    test("a socket ticket opens one socket: used again, for any socket, it is refused with 401", async () => {
      const status = async (path: string, ticket: string) => {
        const raw = await openRawWebSocket(ctx.nx.wsUrl(`${path}?ticket=${encodeURIComponent(ticket)}`));
        raw.destroy();
        return raw.status;
      };
      const convPath = `/v1/ws/conversations/${conv.id}`;
      const t1 = await bob.ticket();
      expect(await status(convPath, t1)).toBe(101);
      expect(await status(convPath, t1)).toBe(401);
      expect(await status("/v1/ws/inbox", t1)).toBe(401);
      const t2 = await bob.ticket();
      expect(await status("/v1/ws/inbox", t2)).toBe(101);
      expect(await status("/v1/ws/inbox", t2)).toBe(401);
      expect(await status(convPath, t2)).toBe(401);
      // A fresh ticket still works.
      expect(await status(convPath, await bob.ticket())).toBe(101);
    });
  });
}
