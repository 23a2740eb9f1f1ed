/**
 * Regression tests from an adversarial review of the actor core: each test pins one bug that broke a
 * stated guarantee (docs/protocol.md) under a race or a storage fault, and stays as a guard.
 */
import { summaryFor } from "../../actors/conversation/summary.ts";
import { afterEach, describe, expect, test } from "bun:test";
import { BunActorSystem } from "../../hosts/bun/BunActorSystem.ts";
import type { ConversationActor } from "../../actors/conversation/ConversationActor.ts";
import { makeSystem, member, TestConn, tick } from "./harness.ts";

let env: Awaited<ReturnType<typeof makeSystem>>;
afterEach(async () => env && (await env.close()));

const ID = "g_reviewgrp1";

async function group(members = ["ann", "ben", "cat"], limits = {}) {
  env = await makeSystem(limits);
  const conv = env.system.conversation(ID);
  await conv.create({ userId: members[0]! }, { type: "group", title: "t", members: members.map((m) => member(m)) });
  return conv;
}

/** The summary a user's inbox would get now, and the one a freshly loaded actor (after a restart) computes. */
async function unreadNowAndAfterReload(conv: ConversationActor, userId: string, id = ID) {
  const now = summaryFor(id, conv.state({ userId }), userId, []).unread;
  await tick(1100); // read cursors are written behind (within ~1 s, on the 50 ms timer grid)
  const reborn = new BunActorSystem(env.sql).conversation(id);
  await reborn.ready();
  const reloaded = summaryFor(id, reborn.state({ userId }), userId, []).unread;
  return { now, reloaded };
}

/** Resolves to "hung" if `p` has not settled after a generous delay (a promise nobody will ever settle). */
const settledOrHung = (p: Promise<unknown>) =>
  Promise.race([p.then((v) => ({ ok: v }), (e) => ({ err: e })), tick(1000).then(() => "hung" as const)]);

describe("review: privacy of deleted messages", () => {
  test("a resume replay after a delete does not carry the text of the message's earlier edits", async () => {
    const conv = await group();
    const { epoch } = await conv.info({ userId: "ben" });
    const { seq } = await conv.send({ userId: "ann" }, { clientId: "priv-msg-1", text: "first secret" });
    await conv.edit({ userId: "ann" }, "priv-edit-1", seq, "edited secret");
    await conv.deleteMessage({ userId: "ann" }, seq, "priv-del-1");
    const ben = new TestConn("ben");
    await conv.connect(ben, { after: 1, epoch });
    const welcome = ben.of("welcome")[0];
    expect(welcome.recovered).toBe(true);
    expect(welcome.events.map((e: any) => e.kind)).toEqual(["message", "edit", "delete"]);
    expect(JSON.stringify(welcome.events)).not.toContain("secret");
  });
});

describe("review: read cursors and unread counts", () => {
  test("a read receipt taken while a membership change commits is not rolled back", async () => {
    const conv = await group();
    const { seq } = await conv.send({ userId: "ann" }, { clientId: "before-role-1", text: "hello" });
    let release!: () => void;
    env.sql.hold = new Promise((r) => (release = r));
    const roleChange = conv.setRole({ userId: "ann" }, "cat", "admin");
    await tick(30); // the member batch has copied the member map and waits for its commit
    const reading = conv.markRead("ben", seq); // the cursor moves now; the unread count waits for the batch
    env.sql.hold = null;
    release();
    await roleChange;
    await reading;
    expect((await conv.info({ userId: "ben" })).reads.ben).toBe(seq);
  });

  test("a message committed while a read receipt is being counted still counts as unread", async () => {
    const conv = await group();
    const a = await conv.send({ userId: "ann" }, { clientId: "unread-msg-1", text: "one" });
    await conv.send({ userId: "ann" }, { clientId: "unread-msg-2", text: "two" });
    let answer!: () => void;
    env.sql.delayReadResult = (sql) => (sql.includes("COUNT(*)") ? new Promise<void>((r) => (answer = r)) : null);
    const reading = conv.markRead("cat", a.seq); // counts the unread before the next message commits
    await tick(30);
    env.sql.delayReadResult = null;
    await conv.send({ userId: "ann" }, { clientId: "unread-msg-3", text: "three" });
    answer();
    await reading;
    // Unread for cat = messages by others after seq a: "two" and "three".
    expect(await unreadNowAndAfterReload(conv, "cat")).toEqual({ now: 2, reloaded: 2 });
  });

  test("deleting an unread message lowers the unread count (as a reload computes it)", async () => {
    const conv = await group();
    const { seq } = await conv.send({ userId: "ann" }, { clientId: "del-unread-1", text: "oops" });
    await conv.send({ userId: "ann" }, { clientId: "del-unread-2", text: "kept" });
    await conv.deleteMessage({ userId: "ann" }, seq, "del-unread-3");
    expect(await unreadNowAndAfterReload(conv, "cat")).toEqual({ now: 1, reloaded: 1 });
  });

  test("a member added after some history has the same unread count before and after a reload", async () => {
    const conv = await group();
    for (let i = 0; i < 3; i++) await conv.send({ userId: "ann" }, { clientId: `history-msg-${i}`, text: `h${i}` });
    await conv.addMember({ userId: "ann" }, member("dan"));
    await conv.send({ userId: "ben" }, { clientId: "after-join-1", text: "welcome dan" });
    const { now, reloaded } = await unreadNowAndAfterReload(conv, "dan");
    expect(now).toBe(reloaded);
    expect(now).toBe(1);
  });
});

describe("review: storage faults", () => {
  test("a read failure while preparing a batch fails the send instead of leaving it hanging", async () => {
    const conv = await group();
    // A plain send reads nothing before its commit; one with an attachment reads the attachment.
    await conv.addAttachment({ userId: "ann" }, { id: "a_readfails01", name: "f.txt", type: "text/plain", size: 1 });
    const input = { clientId: "read-fails-1", text: "x", attachments: ["a_readfails01"] };
    env.sql.failReads = true;
    const first = await settledOrHung(conv.send({ userId: "ann" }, input));
    env.sql.failReads = false;
    expect(first).not.toBe("hung");
    expect((first as any).err).toMatchObject({ code: "storage_unavailable" });
    // The write path is not wedged: the retry with the same clientId goes through.
    const retry = await settledOrHung(conv.send({ userId: "ann" }, input));
    expect(retry).toMatchObject({ ok: { seq: 2, duplicate: false } });
  });

  test("a failed load is retried by the next call instead of being remembered", async () => {
    await group();
    await tick(600); // inbox rows are written behind (500 ms)
    const system = new BunActorSystem(env.sql);
    const fresh = system.conversation(ID);
    const inbox = system.inbox("ann");
    env.sql.failReads = true;
    await expect(fresh.info({ userId: "ann" })).rejects.toThrow();
    await expect(inbox.list({ userId: "ann" })).rejects.toThrow();
    env.sql.failReads = false;
    expect((await fresh.info({ userId: "ann" })).lastSeq).toBe(1);
    expect((await inbox.list({ userId: "ann" })).map((c) => c.id)).toEqual([ID]);
  });

  test("a membership change whose inbox write fails is not confirmed as stored", async () => {
    const conv = await group();
    env.sql.failWritesWhen = (st) => st.some((s) => s.sql.includes("inbox_rows"));
    // (bun 1.4.5: `expect(p).rejects` never settles when p's rejection waits on a Worker message.)
    const refused = await conv.addMember({ userId: "ann" }, member("dan")).then(() => null, (e) => e);
    expect(refused).toMatchObject({ code: "storage_unavailable" });
    env.sql.failWritesWhen = null;
    // The inbox keeps the row and retries its write (about a second later).
    await tick(1200);
    const reborn = new BunActorSystem(env.sql).inbox("dan");
    expect((await reborn.list({ userId: "dan" })).map((c) => c.id)).toEqual([ID]);
  });
});

describe("review: inbox ordering", () => {
  test("a stale summary that arrives after the removal does not bring the conversation back", async () => {
    env = await makeSystem();
    const inbox = env.system.inbox("ben");
    const summary = (lastSeq: number) => ({ id: ID, type: "group" as const, title: "t", members: [], lastSeq, lastTs: lastSeq,
      preview: null, unread: 0, readSeq: 0 });
    await inbox.apply({ summary: summary(5) });
    await inbox.apply({ summary: summary(6), removed: true });
    await inbox.apply({ summary: summary(5) }); // delivery is unordered: an older update arrives late
    expect(await inbox.list({ userId: "ben" })).toEqual([]);
    await inbox.apply({ summary: summary(9) }); // re-added later: shown again
    await inbox.apply({ summary: summary(6), removed: true }); // the old removal, delivered twice, late
    expect((await inbox.list({ userId: "ben" })).map((c) => c.lastSeq)).toEqual([9]);
  });
});

describe("review: calls", () => {
  test("an answered call whose participants left is ended, so the conversation can ring again", async () => {
    env = await makeSystem();
    const conv = env.system.conversation("d_reviewdm1");
    await conv.create({ userId: "ann" }, { type: "direct", title: "", members: [member("ann"), member("ben")] });
    const ann = new TestConn("ann"), ben = new TestConn("ben");
    await conv.connect(ann, {});
    await conv.connect(ben, {});
    await conv.receive(ann, JSON.stringify({ t: "call", callId: "call-one-0001", action: "ring", media: "audio" }));
    await conv.receive(ben, JSON.stringify({ t: "call", callId: "call-one-0001", action: "accept" }));
    conv.disconnect(ann); // ann's tab crashes mid-call: no hangup is ever sent
    expect(ben.of("call").at(-1)).toMatchObject({ callId: "call-one-0001", action: "hangup" });
    conv.disconnect(ben);
    const again = new TestConn("ann");
    await conv.connect(again, {});
    await conv.receive(again, JSON.stringify({ t: "call", callId: "call-two-0002", action: "ring", media: "audio" }));
    expect(again.of("error")).toEqual([]);
    await tick(50);
    const page = await conv.history({ userId: "ann" }, undefined, 50);
    // The second ring reaches nobody (ben has no socket anywhere): it ends at once, as missed.
    expect(page.events.filter((e) => e.kind === "call").map((e: any) => e.outcome)).toEqual(["completed", "missed"]);
  });
});

describe("review: ephemeral state of dropped sockets", () => {
  test("a socket dropped as a slow consumer stops its user's typing indicator when it closes", async () => {
    const conv = await group();
    const ann = new TestConn("ann"), ben = new TestConn("ben");
    await conv.connect(ann, {});
    await conv.connect(ben, {});
    await conv.receive(ben, JSON.stringify({ t: "typing" }));
    ben.bufferedBytes = 10 * 1024 * 1024;
    await conv.send({ userId: "ann" }, { clientId: "to-slow-1", text: "hi" });
    expect(ben.closed?.code).toBe(4008);
    conv.disconnect(ben); // the host reports the close
    expect(ann.of("typing").at(-1)).toEqual({ t: "typing", userId: "ben", on: false });
  });
});

describe("review: group admins", () => {
  test("the only admin cannot leave while others remain (a group keeps at least one admin)", async () => {
    const conv = await group();
    await expect(conv.removeMember({ userId: "ann" }, "ann")).rejects.toMatchObject({ code: "conflict" });
    await conv.setRole({ userId: "ann" }, "ben", "admin");
    await conv.removeMember({ userId: "ann" }, "ann"); // another admin exists now
    const info = await conv.info({ userId: "ben" });
    expect(info.members.filter((m) => m.role === "admin").map((m) => m.userId)).toEqual(["ben"]);
  });
});

describe("review: idempotency under faults (checked, holds)", () => {
  test("a resend queued behind its original's failing commit is stored once, as the retry", async () => {
    const conv = await group();
    let release!: () => void;
    env.sql.hold = new Promise((r) => (release = r));
    env.sql.failWrites = true;
    const original = conv.send({ userId: "ann" }, { clientId: "in-flight-1", text: "x" });
    await tick(30);
    const resend = conv.send({ userId: "ann" }, { clientId: "in-flight-1", text: "x" });
    await tick(10);
    env.sql.hold = null;
    env.sql.failWrites = false;
    env.sql.failWritesWhen = (() => { let first = true; return () => { const f = first; first = false; return f; }; })();
    release();
    await expect(original).rejects.toMatchObject({ code: "storage_unavailable" });
    expect(await resend).toMatchObject({ seq: 2, duplicate: false });
    const page = await conv.history({ userId: "ben" }, undefined, 50);
    expect(page.events.map((e) => e.seq)).toEqual([1, 2]);
  });
});
