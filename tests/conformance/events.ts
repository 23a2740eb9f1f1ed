/**
 * Everything else that flows through the log: edits, deletes (tombstones), reactions and replies
 * arrive as events and appear materialized in history; read receipts reach the others and drive
 * unread counts; the inbox socket hears about new activity; bad REST input changes nothing.
 */
import { describe, expect, test } from "bun:test";
import { newClientId, type TestSocket } from "../support/client.ts";
import { eventually, useTarget } from "./harness.ts";
import { LimitEnv, type TargetFactory } from "./target.ts";

async function act(sock: TestSocket, frame: Record<string, unknown>): Promise<any> {
  const clientId = newClientId(String(frame.t));
  sock.send({ ...frame, clientId });
  const reply = await sock.replyTo(clientId);
  expect(reply.t).toBe("ack");
  return reply;
}

export function eventTests(factory: TargetFactory): void {
  describe("events and history", () => {
    const ctx = useTarget(factory, { [LimitEnv.sendsPerSecond]: "1000" });

    test("edit, reaction, reply and delete flow as events and show materialized in history", async () => {
      const [alice, bob, carol] = await ctx.users(3, "ev");
      const conv = await ctx.group(alice, [bob, carol]);
      const { sock: sa } = await alice.join(conv.id);
      const { sock: sb } = await bob.join(conv.id);
      const { sock: sc } = await carol.join(conv.id);
      const evt = (sock: TestSocket, kind: string, seq: number) => sock.next((f) => f.t === "event" && f.e.kind === kind && f.e.seq === seq);

      const m = await sb.sendMessage("first words");
      expect((await evt(sa, "message", m.seq)).e).toMatchObject({ author: bob.id, text: "first words" });

      const edit = await act(sb, { t: "edit", target: m.seq, text: "second words" });
      expect(edit.seq).toBe(m.seq + 1);
      expect((await evt(sa, "edit", edit.seq)).e).toMatchObject({ target: m.seq, text: "second words", author: bob.id });

      const r1 = await act(sc, { t: "react", target: m.seq, emoji: "👍", on: true });
      const r2 = await act(sa, { t: "react", target: m.seq, emoji: "👍", on: true });
      const r3 = await act(sa, { t: "react", target: m.seq, emoji: "🎉", on: true });
      expect((await evt(sb, "reaction", r1.seq)).e).toMatchObject({ target: m.seq, emoji: "👍", on: true, author: carol.id });
      await evt(sb, "reaction", r3.seq);
      const off = await act(sa, { t: "react", target: m.seq, emoji: "🎉", on: false });
      expect((await evt(sc, "reaction", off.seq)).e).toMatchObject({ emoji: "🎉", on: false });
      expect(r2.seq).toBeGreaterThan(r1.seq);

      const reply = await sa.sendMessage("replying", newClientId("rep"), { replyTo: m.seq });
      expect((await evt(sb, "message", reply.seq)).e.replyTo).toBe(m.seq);

      let history = await alice.fullHistory(conv.id);
      const row = history.find((e) => e.seq === m.seq);
      expect(row).toMatchObject({ kind: "message", text: "second words", author: bob.id });
      expect(typeof row.editedTs).toBe("number");
      expect([...row.reactions["👍"]].sort()).toEqual([alice.id, carol.id].sort());
      expect(row.reactions["🎉"] ?? []).toEqual([]);
      expect(history.find((e) => e.seq === reply.seq)?.replyTo).toBe(m.seq);

      const del = await act(sb, { t: "delete", target: m.seq });
      expect((await evt(sc, "delete", del.seq)).e).toMatchObject({ target: m.seq, author: bob.id });
      history = await alice.fullHistory(conv.id);
      const tomb = history.find((e) => e.seq === m.seq);
      expect(tomb.deleted).toBe(true);
      expect(tomb.text).not.toContain("words");
      // A tombstone cannot be edited back to life.
      const clientId = newClientId("zombie");
      sb.send({ t: "edit", clientId, target: m.seq, text: "alive again" });
      expect((await sb.replyTo(clientId)).t).toBe("error");
    });

    test("rename and member changes are events every member sees", async () => {
      const [alice, bob, dave] = await ctx.users(3, "evm");
      const conv = await ctx.group(alice, [bob]);
      const { sock: sb } = await bob.join(conv.id);
      const ren = await alice.must("PATCH", `/v1/conversations/${conv.id}`, { title: "new title" });
      expect((await sb.next((f) => f.t === "event" && f.e.seq === ren.seq)).e).toMatchObject({ kind: "rename", title: "new title" });
      const add = await alice.must("POST", `/v1/conversations/${conv.id}/members`, { username: dave.username });
      expect((await sb.next((f) => f.t === "event" && f.e.seq === add.seq)).e).toMatchObject({ kind: "member", action: "add", userId: dave.id });
      const role = await alice.must("PATCH", `/v1/conversations/${conv.id}/members/${dave.id}`, { role: "admin" });
      expect((await sb.next((f) => f.t === "event" && f.e.seq === role.seq)).e).toMatchObject({ kind: "member", action: "role", role: "admin" });
      const info = await dave.must("GET", `/v1/conversations/${conv.id}`);
      expect(info.title).toBe("new title");
      expect(info.members.find((m: any) => m.userId === dave.id)?.role).toBe("admin");
    });

    test("read receipts reach the others and drive unread counts", async () => {
      const [alice, bob, carol] = await ctx.users(3, "evr");
      const conv = await ctx.group(alice, [bob, carol]);
      const { sock: sa } = await alice.join(conv.id);
      const { sock: sb } = await bob.join(conv.id);
      const seqs: number[] = [];
      for (let i = 0; i < 3; i++) seqs.push((await sa.sendMessage(`unread ${i}`)).seq);
      const rowOf = async (u: typeof bob) => (await u.must("GET", "/v1/conversations")).conversations.find((c: any) => c.id === conv.id);
      // Inbox summaries trail the stream by up to a few tens of ms (coalesced per conversation).
      expect(await eventually(async () => (await rowOf(carol)).lastSeq === seqs[2])).toBe(true);
      const carolRow = await rowOf(carol);
      expect(carolRow.unread).toBe(3);
      expect(carolRow.lastSeq).toBe(seqs[2]);
      expect(carolRow.preview).toMatchObject({ author: alice.id, text: "unread 2" });
      expect((await rowOf(alice)).unread).toBe(0);

      await sb.next((f) => f.t === "event" && f.e.seq === seqs[1]);
      sb.send({ t: "read", seq: seqs[1] });
      expect(await sa.next("read")).toMatchObject({ userId: bob.id, seq: seqs[1] });
      // Read receipts are not log events.
      const ack = await sa.sendMessage("after read");
      expect(ack.seq).toBe(seqs[2] + 1);
      expect(await eventually(async () => (await rowOf(bob)).lastSeq === ack.seq)).toBe(true);
      const bobRow = await rowOf(bob);
      expect(bobRow.readSeq).toBe(seqs[1]);
      expect(bobRow.unread).toBe(2);
      const { welcome } = await carol.join(conv.id);
      expect(welcome.conversation.reads[bob.id]).toBe(seqs[1]);
    });

    test("a deleted last message is previewed as deleted, not as an empty (attachment-only) message", async () => {
      const [alice, bob] = await ctx.users(2, "evd");
      const conv = await ctx.group(alice, [bob]);
      const { sock: sa } = await alice.join(conv.id);
      await sa.sendMessage("hello");
      const oops = await sa.sendMessage("oops, my password");
      expect((await alice.api("DELETE", `/v1/conversations/${conv.id}/messages/${oops.seq}`)).status).toBe(200);
      const rowOf = async (u: typeof bob) => (await u.must("GET", "/v1/conversations")).conversations.find((c: any) => c.id === conv.id);
      expect(await eventually(async () => (await rowOf(bob)).preview?.deleted === true)).toBe(true);
      const row = await rowOf(bob);
      expect(row.preview).toEqual({ author: alice.id, text: "", deleted: true, ts: oops.ts });
      expect(JSON.stringify(row)).not.toContain("password");
    });

    test("the inbox socket lists conversations and hears about new activity", async () => {
      const [alice, bob] = await ctx.users(2, "evi");
      const conv = await ctx.group(alice, [bob], "inbox test");
      const inbox = await bob.openInbox();
      const first = await inbox.next("inbox");
      expect(first.conversations.map((c: any) => c.id)).toContain(conv.id);
      const { sock: sa } = await alice.join(conv.id);
      const ack = await sa.sendMessage("ping bob's inbox");
      const update = await inbox.next((f) => f.t === "conv" && f.c.id === conv.id && f.c.lastSeq >= ack.seq);
      expect(update.c.preview).toMatchObject({ author: alice.id, text: "ping bob's inbox" });
      expect(update.c.unread).toBeGreaterThanOrEqual(1);
      // A new conversation shows up too.
      const dm = await alice.createDirect(bob);
      const dmAck = await alice.api("POST", `/v1/conversations/${dm.id}/messages`, { clientId: newClientId("dm"), text: "hi" });
      expect([200, 201]).toContain(dmAck.status);
      expect((await inbox.next((f) => f.t === "conv" && f.c.id === dm.id)).c.type).toBe("direct");
    });

    test("creating a group again with the same clientId returns the same group, listed once", async () => {
      const [alice, bob] = await ctx.users(2, "evg");
      const body = { title: "retry me", members: [bob.username], clientId: newClientId("grp") };
      const first = await alice.must("POST", "/v1/conversations", body, 201);
      const again = await alice.must("POST", "/v1/conversations", body, 201);
      expect(again.id).toBe(first.id);
      expect(again.lastSeq).toBe(first.lastSeq);
      const other = await alice.must("POST", "/v1/conversations", { ...body, clientId: newClientId("grp") }, 201);
      expect(other.id).not.toBe(first.id);
      const listed = (await alice.must("GET", "/v1/conversations")).conversations.filter((c: any) => c.title === "retry me");
      expect(listed).toHaveLength(2);
    });

    test("bad input on conversation routes: 400 bad_request and nothing changes", async () => {
      const [alice, bob] = await ctx.users(2, "evb");
      const conv = await ctx.group(alice, [bob], "stable");
      const before = await alice.must("GET", `/v1/conversations/${conv.id}`);
      const id = conv.id;
      const cases: [string, string, unknown][] = [
        ["POST", "/v1/conversations", { title: "", members: [] }],
        ["POST", "/v1/conversations", { title: "x", members: "bob" }],
        ["POST", "/v1/conversations", { title: "x", members: ["NOT VALID!"] }],
        ["POST", "/v1/conversations/direct", {}],
        ["PATCH", `/v1/conversations/${id}`, { title: "" }],
        ["PATCH", `/v1/conversations/${id}`, { title: "x".repeat(101) }],
        ["POST", `/v1/conversations/${id}/members`, { username: "no spaces allowed" }],
        ["POST", `/v1/conversations/${id}/members`, { username: bob.username, role: "overlord" }],
        ["PATCH", `/v1/conversations/${id}/members/${bob.id}`, { role: "king" }],
        ["POST", `/v1/conversations/${id}/messages`, { clientId: "short", text: "x" }],
        ["POST", `/v1/conversations/${id}/messages`, { clientId: newClientId("b"), text: 7 }],
        ["POST", `/v1/conversations/${id}/messages`, { clientId: newClientId("b"), text: "x", replyTo: -1 }],
        ["POST", `/v1/conversations/${id}/messages`, "{broken json"],
        ["GET", `/v1/conversations/${id}/messages?limit=0`, undefined],
        ["GET", `/v1/conversations/${id}/messages?limit=abc`, undefined],
        ["GET", `/v1/conversations/${id}/messages?before=-4`, undefined],
        ["DELETE", `/v1/conversations/${id}/messages/not-a-seq`, undefined],
      ];
      for (const [method, path, body] of cases) {
        const res = await ctx.nx.request(method, path, body, alice.token, typeof body === "string" ? { "content-type": "application/json" } : {});
        expect({ method, path, status: res.status }).toEqual({ method, path, status: 400 });
        expect(res.body.error.code).toBe("bad_request");
        expect(typeof res.body.error.message).toBe("string");
      }
      const after = await alice.must("GET", `/v1/conversations/${conv.id}`);
      expect(after).toEqual(before);
      const list = await alice.must("GET", "/v1/conversations");
      expect(list.conversations.filter((c: any) => c.title === "x").length).toBe(0);
    });
  });
}
