import { afterEach, describe, expect, test } from "bun:test";
import { BunActorSystem } from "../../hosts/bun/BunActorSystem.ts";
import { makeSystem, member, TestConn, tick } from "./harness.ts";

let env: Awaited<ReturnType<typeof makeSystem>>;
afterEach(async () => env && (await env.close()));

async function group(members = ["ann", "ben", "cat"], limits = {}) {
  env = await makeSystem(limits);
  const conv = env.system.conversation("g_testgroup1");
  await conv.create({ userId: members[0]! }, { type: "group", title: "t", members: members.map((m) => member(m)) });
  return conv;
}

describe("ConversationActor", () => {
  test("total order: concurrent senders get consecutive seqs, everyone sees the same order", async () => {
    const conv = await group();
    const conns = ["ann", "ben", "cat"].map((u) => new TestConn(u));
    for (const c of conns) await conv.connect(c, {});
    const sends = [];
    for (let i = 0; i < 30; i++) {
      const u = ["ann", "ben", "cat"][i % 3]!;
      sends.push(conv.send({ userId: u }, { clientId: `client-${u}-${i}`, text: `m${i}` }));
    }
    const results = await Promise.all(sends);
    const seqs = results.map((r) => r.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
    for (const c of conns) {
      const got = c.of("event").map((f) => f.e.seq);
      expect(got).toEqual(seqs);
      // Sends queued together commit together and go out as `events` frames, not one frame each.
      expect(c.of("event").filter((f) => f.batched).length).toBeGreaterThan(0);
    }
  });

  test("durable before ack: nothing is acked or fanned out until the commit resolves", async () => {
    const conv = await group();
    const ann = new TestConn("ann"), ben = new TestConn("ben");
    await conv.connect(ann, {});
    await conv.connect(ben, {});
    let release!: () => void;
    env.sql.hold = new Promise((r) => (release = r));
    const p = conv.send({ userId: "ann" }, { clientId: "held-message-1", text: "wait" }, ann);
    await tick(50);
    expect(ann.frames.filter((f) => f.t === "ack" || f.t === "event")).toHaveLength(0);
    expect(ben.of("event")).toHaveLength(0);
    env.sql.hold = null;
    release();
    const r = await p;
    // The sender's own event is its ack.
    expect(ann.of("event")[0].e).toMatchObject({ clientId: "held-message-1", seq: r.seq, author: "ann" });
    expect(ann.of("ack")).toHaveLength(0);
    expect(ben.of("event")[0].e.seq).toBe(r.seq);
  });

  test("a failed commit acks nothing, leaves no gap, and the retry succeeds", async () => {
    const conv = await group();
    const ben = new TestConn("ben");
    await conv.connect(ben, {});
    env.sql.failWrites = true;
    await expect(conv.send({ userId: "ann" }, { clientId: "fails-once-1", text: "x" })).rejects.toMatchObject({ code: "storage_unavailable" });
    expect(ben.of("event")).toHaveLength(0);
    env.sql.failWrites = false;
    const r = await conv.send({ userId: "ann" }, { clientId: "fails-once-1", text: "x" });
    expect(r).toMatchObject({ seq: 2, duplicate: false });
    expect((await conv.history({ userId: "ben" }, undefined, 50)).events.map((e) => e.seq)).toEqual([1, 2]);
  });

  test("idempotency: resends in the same batch, later, and after a restart return the original seq", async () => {
    const conv = await group();
    const [a, b] = await Promise.all([
      conv.send({ userId: "ann" }, { clientId: "same-client-1", text: "once" }),
      conv.send({ userId: "ann" }, { clientId: "same-client-1", text: "once" }),
    ]);
    expect(a.seq).toBe(b.seq);
    expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
    const later = await conv.send({ userId: "ann" }, { clientId: "same-client-1", text: "once" });
    expect(later).toMatchObject({ seq: a.seq, duplicate: true });
    // The same clientId from another author is a different message.
    const other = await conv.send({ userId: "ben" }, { clientId: "same-client-1", text: "ben's" });
    expect(other.seq).toBe(a.seq + 1);
    const page = await conv.history({ userId: "ann" }, undefined, 50);
    expect(page.events.filter((e) => e.kind === "message")).toHaveLength(2);
    // A fresh actor (as after a restart) loads from storage and still knows the clientId.
    const reborn = new BunActorSystem(env.sql).conversation("g_testgroup1");
    expect(await reborn.send({ userId: "ann" }, { clientId: "same-client-1", text: "once" })).toMatchObject({ seq: a.seq, duplicate: true });
  });

  test("gap-free resume: events committed while the replay is read are neither lost nor duplicated", async () => {
    const conv = await group();
    for (let i = 0; i < 5; i++) await conv.send({ userId: "ann" }, { clientId: `pre-msg-${i}`, text: `p${i}` });
    const info = await conv.info({ userId: "ben" });
    const ben = new TestConn("ben");
    const connecting = conv.connect(ben, { after: 3, epoch: info.epoch });
    const live = Promise.all([0, 1, 2].map((i) => conv.send({ userId: "cat" }, { clientId: `live-msg-${i}`, text: `l${i}` })));
    await Promise.all([connecting, live]);
    await tick();
    const welcome = ben.of("welcome")[0];
    expect(welcome.recovered).toBe(true);
    const seen = [...welcome.events.map((e: any) => e.seq), ...ben.of("event").map((f) => f.e.seq)];
    expect(seen).toEqual([4, 5, 6, 7, 8, 9]);
  });

  test("resume past the cap or with a wrong epoch says recovered: false", async () => {
    const conv = await group(undefined, { replayCap: 3 });
    for (let i = 0; i < 6; i++) await conv.send({ userId: "ann" }, { clientId: `cap-msg-${i}`, text: `c${i}` });
    const { epoch } = await conv.info({ userId: "ben" });
    const far = new TestConn("ben");
    await conv.connect(far, { after: 1, epoch });
    expect(far.of("welcome")[0].recovered).toBe(false);
    const wrong = new TestConn("ben");
    await conv.connect(wrong, { after: 6, epoch: "not-the-epoch" });
    expect(wrong.of("welcome")[0]).toMatchObject({ recovered: false });
    const near = new TestConn("ben");
    await conv.connect(near, { after: 5, epoch });
    expect(near.of("welcome")[0].events.map((e: any) => e.seq)).toEqual([6, 7]);
  });

  test("authorization: members only; author edits; group admin deletes; removal closes sockets", async () => {
    const conv = await group();
    await expect(conv.send({ userId: "eve" }, { clientId: "intruder-1", text: "hi" })).rejects.toMatchObject({ code: "not_member" });
    const eve = new TestConn("eve");
    await conv.connect(eve, {});
    expect(eve.closed?.code).toBe(4003);
    const { seq } = await conv.send({ userId: "ben" }, { clientId: "bens-msg-1", text: "mine" });
    await expect(conv.edit({ userId: "cat" }, "cat-edit-1", seq, "hacked")).rejects.toMatchObject({ code: "forbidden" });
    await expect(conv.deleteMessage({ userId: "cat" }, seq, "cat-del-1")).rejects.toMatchObject({ code: "forbidden" });
    await conv.edit({ userId: "ben" }, "ben-edit-1", seq, "mine, edited");
    await conv.deleteMessage({ userId: "ann" }, seq, "ann-del-1"); // ann is the group admin
    const page = await conv.history({ userId: "cat" }, undefined, 50);
    expect(page.events.find((e) => e.seq === seq)).toMatchObject({ deleted: true, text: "" });
    const cat = new TestConn("cat");
    await conv.connect(cat, {});
    await conv.removeMember({ userId: "ann" }, "cat");
    expect(cat.closed?.code).toBe(4003);
    await expect(conv.history({ userId: "cat" }, undefined, 10)).rejects.toMatchObject({ code: "not_member" });
    await expect(conv.removeMember({ userId: "ben" }, "ann")).rejects.toMatchObject({ code: "forbidden" });
  });

  test("typing is broadcast, expires without refresh, and is never stored", async () => {
    const conv = await group(undefined, { typingTtlMs: 500 });
    const ann = new TestConn("ann"), ben = new TestConn("ben");
    await conv.connect(ann, {});
    await conv.connect(ben, {});
    await conv.receive(ben, JSON.stringify({ t: "typing" }));
    expect(ann.of("typing")).toEqual([{ t: "typing", userId: "ben", on: true }]);
    await tick(700);
    expect(ann.of("typing").at(-1)).toEqual({ t: "typing", userId: "ben", on: false });
    const page = await conv.history({ userId: "ann" }, undefined, 50);
    expect(page.events.map((e) => e.kind)).toEqual(["created"]);
  });

  test("backpressure and limits: slow sockets are dropped, bad frames get errors and change nothing", async () => {
    const conv = await group(undefined, { maxTextLength: 10, sendsPerSecond: 1, maxSocketBufferBytes: 1024 });
    const ann = new TestConn("ann"), slow = new TestConn("ben");
    await conv.connect(ann, {});
    await conv.connect(slow, {});
    slow.bufferedBytes = 10_000;
    await conv.receive(ann, JSON.stringify({ t: "send", clientId: "too-long-1", text: "x".repeat(11) }));
    await conv.receive(ann, "{not json");
    await conv.receive(ann, JSON.stringify({ t: "nope" }));
    expect(ann.of("error").map((e) => e.code)).toEqual(["payload_too_large", "bad_request", "bad_request"]);
    await conv.receive(ann, JSON.stringify({ t: "send", clientId: "ok-msg-001", text: "ok" }));
    await tick();
    expect(slow.closed?.code).toBe(4008);
    await conv.receive(ann, JSON.stringify({ t: "send", clientId: "ok-msg-002", text: "ok" }));
    await conv.receive(ann, JSON.stringify({ t: "send", clientId: "ok-msg-003", text: "ok" }));
    await tick();
    expect(ann.of("error").at(-1)).toMatchObject({ code: "rate_limited", clientId: "ok-msg-003" });
    const page = await conv.history({ userId: "ann" }, undefined, 50);
    expect(page.events.filter((e) => e.kind === "message").map((e: any) => e.clientId)).toEqual(["ok-msg-001", "ok-msg-002"]);
  });

  test("reactions, replies and read receipts; unread counts reach the inbox", async () => {
    const conv = await group();
    const { seq } = await conv.send({ userId: "ann" }, { clientId: "root-msg-1", text: "root" });
    await conv.send({ userId: "ben" }, { clientId: "reply-msg-1", text: "reply", replyTo: seq });
    await conv.react({ userId: "ben" }, "react-1a", seq, "👍", true);
    await conv.react({ userId: "cat" }, "react-1b", seq, "👍", true);
    await conv.react({ userId: "ben" }, "react-1c", seq, "👍", false);
    const page = await conv.history({ userId: "cat" }, undefined, 50);
    expect(page.events.find((e) => e.seq === seq)).toMatchObject({ reactions: { "👍": ["cat"] } });
    expect(page.events.find((e) => e.kind === "message" && e.replyTo === seq)).toBeTruthy();
    await tick(150); // inbox summaries are coalesced (100 ms)
    const catInbox = await env.system.inbox("cat").list({ userId: "cat" });
    expect(catInbox[0]).toMatchObject({ id: "g_testgroup1", unread: 2 });
    const ann = new TestConn("ann");
    await conv.connect(ann, {});
    await conv.markRead("cat", seq);
    expect(ann.of("read")).toEqual([{ t: "read", userId: "cat", seq }]);
    await tick(50);
    expect((await env.system.inbox("cat").list({ userId: "cat" }))[0]).toMatchObject({ unread: 1, readSeq: seq });
  });

  test("deleting a message makes its attachments undownloadable", async () => {
    const conv = await group();
    await conv.addAttachment({ userId: "ann" }, { id: "a_attachment01", name: "x.png", type: "image/png", size: 3 });
    const { seq } = await conv.send({ userId: "ann" }, { clientId: "with-attach-1", text: "", attachments: ["a_attachment01"] });
    expect((await conv.attachment({ userId: "ben" }, "a_attachment01")).name).toBe("x.png");
    await conv.deleteMessage({ userId: "ann" }, seq, "del-attach-1");
    await expect(conv.attachment({ userId: "ben" }, "a_attachment01")).rejects.toMatchObject({ code: "not_found" });
  });

  test("resends of stored clientIds are not charged against the send rate", async () => {
    const conv = await group(undefined, { sendsPerSecond: 1 });
    await conv.send({ userId: "ann" }, { clientId: "rate-resend-1", text: "a" });
    await conv.send({ userId: "ann" }, { clientId: "rate-resend-2", text: "b" });
    for (let i = 0; i < 5; i++)
      expect(await conv.send({ userId: "ann" }, { clientId: "rate-resend-1", text: "a" })).toMatchObject({ duplicate: true });
    await expect(conv.send({ userId: "ann" }, { clientId: "rate-resend-3", text: "c" })).rejects.toMatchObject({ code: "rate_limited" });
  });

  test("a resend older than the in-memory clientId window is found in the log; `base` spares new sends that walk", async () => {
    const conv = await group(undefined, { sendsPerSecond: 10_000 });
    const original = await conv.send({ userId: "ann" }, { clientId: "old-resend-1", text: "first", base: 1 });
    const withBase = await conv.send({ userId: "ann" }, { clientId: "old-resend-2", text: "second", base: original.seq });
    for (let i = 0; i < 5100; i += 50) // push both out of the 5000-entry window
      await Promise.all(Array.from({ length: 50 }, (_, j) => conv.send({ userId: "ben" }, { clientId: `filler-${i + j}`, text: "f" })));
    const walks: string[] = [];
    env.sql.delayReadResult = (sql) => (sql.includes("client_id IN") && walks.push(sql), null);
    const [resend, fresh] = await Promise.all([
      conv.send({ userId: "ann" }, { clientId: "old-resend-1", text: "first" }),
      conv.send({ userId: "cat" }, { clientId: "same-batch-1", text: "new" }),
    ]);
    expect(resend).toMatchObject({ seq: original.seq, duplicate: true });
    expect(fresh.duplicate).toBe(false);
    expect(walks.length).toBeGreaterThan(0);
    // A resend carrying its first attempt's base is found by a walk from that base.
    expect(await conv.send({ userId: "ann" }, { clientId: "old-resend-2", text: "second", base: original.seq })).toMatchObject({ seq: withBase.seq, duplicate: true });
    // A new send whose base is inside the window needs no walk at all.
    walks.length = 0;
    const head = (await conv.history({ userId: "ann" }, undefined, 1)).events.at(-1)!.seq;
    expect(await conv.send({ userId: "ann" }, { clientId: "brand-new-1", text: "new", base: head })).toMatchObject({ duplicate: false });
    expect(walks).toHaveLength(0);
    env.sql.delayReadResult = null;
    const page = await conv.history({ userId: "ann" }, undefined, 10);
    expect(page.events.filter((e: any) => e.clientId === "old-resend-1" || e.clientId === "old-resend-2")).toHaveLength(0); // not re-stored near the end
    // A restarted actor loads the newest 5000 clientIds and knows its floor: the old one is still found.
    const reborn = new BunActorSystem(env.sql).conversation("g_testgroup1");
    expect(await reborn.send({ userId: "ann" }, { clientId: "old-resend-1", text: "first" })).toMatchObject({ seq: original.seq, duplicate: true });
    expect(await reborn.send({ userId: "ben" }, { clientId: "filler-5099", text: "f" })).toMatchObject({ duplicate: true });
  });

  test("a ring reaches the callee's inbox, and so does its end when the caller gives up", async () => {
    env = await makeSystem();
    const conv = env.system.conversation("d_directpair1");
    await conv.create({ userId: "ann" }, { type: "direct", title: "", members: [member("ann"), member("ben")] });
    const ann = new TestConn("ann"), benInbox = new TestConn("ben");
    await conv.connect(ann, {});
    await env.system.inbox("ben").connect(benInbox);
    await conv.receive(ann, JSON.stringify({ t: "call", callId: "call-ring-0001", action: "ring", media: "video" }));
    await tick();
    expect(benInbox.of("call")).toEqual([expect.objectContaining({ callId: "call-ring-0001", action: "ring", from: "ann", conversationId: "d_directpair1" })]);
    await conv.receive(ann, JSON.stringify({ t: "call", callId: "call-ring-0001", action: "hangup" }));
    await tick();
    expect(benInbox.of("call").at(-1)).toMatchObject({ callId: "call-ring-0001", action: "hangup" });
    expect(ann.of("error")).toEqual([]);
  });
});
