/**
 * Pipelined commits (commitPipeline.ts): a conversation submits its next batch of messages while the
 * previous one is still committing. These pin what makes that safe: order, no gap after a failure,
 * membership changes never overtaken, resends of in-flight messages stored once.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { makeSystem, member, TestConn, tick } from "./harness.ts";

let env: Awaited<ReturnType<typeof makeSystem>>;
afterEach(async () => env && (await env.close()));

const ID = "g_pipeline01";

async function group(members = ["ann", "ben", "cat"]) {
  env = await makeSystem({ sendsPerSecond: 1000 });
  const conv = env.system.conversation(ID);
  await conv.create({ userId: members[0]! }, { type: "group", title: "t", members: members.map((m) => member(m)) });
  return conv;
}

/** Holds every write until the returned function is called. */
function holdWrites(): () => void {
  let release!: () => void;
  env.sql.hold = new Promise((r) => (release = r));
  return () => {
    env.sql.hold = null;
    release();
  };
}

/** Settles at once (so a rejection that comes before it is awaited is not "unhandled"). */
const outcome = <T>(p: Promise<T>) => p.then((ok) => ({ ok }), (err) => ({ err }));

const storedSeqs = async (conv: Awaited<ReturnType<typeof group>>) =>
  (await conv.history({ userId: "ann" }, undefined, 50)).events.map((e) => [e.seq, e.kind === "message" ? e.text : e.kind]);

describe("pipelined commits", () => {
  test("a second batch of messages is submitted while the first commits, and both are applied in order", async () => {
    const conv = await group();
    const cat = new TestConn("cat");
    await conv.connect(cat, {});
    const release = holdWrites();
    const before = env.sql.batches;
    const m1 = conv.send({ userId: "ann" }, { clientId: "pipe-aaa-1", text: "one" });
    await tick(10);
    const m2 = conv.send({ userId: "ben" }, { clientId: "pipe-bbb-1", text: "two" });
    await tick(10);
    expect(env.sql.batches - before).toBe(2); // the second did not wait for the first to commit
    release();
    expect(await m1).toMatchObject({ seq: 2, duplicate: false });
    expect(await m2).toMatchObject({ seq: 3, duplicate: false });
    expect(cat.of("event").map((f) => f.e.seq)).toEqual([2, 3]);
    expect(await storedSeqs(conv)).toEqual([[1, "created"], [2, "one"], [3, "two"]]);
  });

  test("when a batch fails, the batches built on it are not written but stored again after it: no gap", async () => {
    const conv = await group();
    const cat = new TestConn("cat");
    await conv.connect(cat, {});
    const release = holdWrites();
    let first = true;
    env.sql.failWritesWhen = () => {
      const f = first;
      first = false;
      return f;
    };
    const m1 = outcome(conv.send({ userId: "ann" }, { clientId: "pipe-fail-1", text: "lost" }));
    await tick(10);
    const m2 = conv.send({ userId: "ben" }, { clientId: "pipe-fail-2", text: "kept" });
    const m3 = conv.send({ userId: "cat" }, { clientId: "pipe-fail-3", text: "kept too" });
    await tick(10);
    release();
    expect(await m1).toMatchObject({ err: { code: "storage_unavailable" } });
    expect(await m2).toMatchObject({ seq: 2, duplicate: false });
    expect(await m3).toMatchObject({ seq: 3, duplicate: false });
    expect(await storedSeqs(conv)).toEqual([[1, "created"], [2, "kept"], [3, "kept too"]]);
    expect(cat.of("event").map((f) => [f.e.seq, f.e.text])).toEqual([[2, "kept"], [3, "kept too"]]);
    // The failed message can be sent again with its clientId, and continues the log.
    expect(await conv.send({ userId: "ann" }, { clientId: "pipe-fail-1", text: "lost" })).toMatchObject({ seq: 4, duplicate: false });
  });

  test("a removal waits for the messages in flight, and a message queued behind it is refused", async () => {
    const conv = await group();
    const release = holdWrites();
    const before = env.sql.batches;
    const m1 = conv.send({ userId: "ben" }, { clientId: "pipe-rm-1", text: "before" });
    await tick(10);
    const removal = conv.removeMember({ userId: "ann" }, "ben");
    const m2 = outcome(conv.send({ userId: "ben" }, { clientId: "pipe-rm-2", text: "after" }));
    await tick(10);
    expect(env.sql.batches - before).toBe(1); // the removal was not built while a batch was in flight
    release();
    expect(await m1).toMatchObject({ seq: 2 });
    expect(await removal).toMatchObject({ seq: 3 });
    expect(await m2).toMatchObject({ err: { code: "not_member" } });
    expect((await storedSeqs(conv)).map((e) => e[0])).toEqual([1, 2, 3]);
  });

  test("messages sent while a membership change commits wait for it (they are checked against the new members)", async () => {
    const conv = await group();
    const release = holdWrites();
    const removal = conv.removeMember({ userId: "ann" }, "ben");
    await tick(10);
    const before = env.sql.batches;
    const m = outcome(conv.send({ userId: "ben" }, { clientId: "pipe-rm-3", text: "too late" }));
    const ok = conv.send({ userId: "cat" }, { clientId: "pipe-rm-4", text: "fine" });
    await tick(10);
    expect(env.sql.batches - before).toBe(0);
    release();
    expect(await removal).toMatchObject({ seq: 2 });
    expect(await m).toMatchObject({ err: { code: "not_member" } });
    expect(await ok).toMatchObject({ seq: 3 });
  });

  test("a resend of a message whose batch is committing is answered with its seq and stored once", async () => {
    const conv = await group();
    const ann = new TestConn("ann");
    await conv.connect(ann, {});
    const release = holdWrites();
    const original = conv.send({ userId: "ann" }, { clientId: "pipe-dup-1", text: "once" }, ann);
    await tick(10);
    const other = conv.send({ userId: "ben" }, { clientId: "pipe-dup-2", text: "other" });
    const resend = conv.send({ userId: "ann" }, { clientId: "pipe-dup-1", text: "once" }, ann);
    await tick(10);
    release();
    expect(await original).toMatchObject({ seq: 2, duplicate: false });
    expect(await resend).toMatchObject({ seq: 2, duplicate: true });
    expect(await other).toMatchObject({ seq: 3 });
    expect(await storedSeqs(conv)).toEqual([[1, "created"], [2, "once"], [3, "other"]]);
    expect(ann.of("ack")).toEqual([{ t: "ack", clientId: "pipe-dup-1", seq: 2, ts: expect.any(Number), duplicate: true }]);
  });

  test("unread counts after pipelined batches match a reload from storage", async () => {
    const conv = await group();
    const release = holdWrites();
    const sends = [
      conv.send({ userId: "ann" }, { clientId: "pipe-unr-1", text: "a" }),
      conv.send({ userId: "ben" }, { clientId: "pipe-unr-2", text: "b" }),
    ];
    await tick(10);
    sends.push(conv.send({ userId: "ann" }, { clientId: "pipe-unr-3", text: "c" }));
    await tick(10);
    release();
    await Promise.all(sends);
    const s = conv.state({ userId: "ann" });
    expect(Object.fromEntries(s.unread)).toEqual({ ann: 0, ben: 1, cat: 3 });
    const counted = { ann: await conv.deps.store.countUnread("ann", s.members.get("ann")!.readSeq),
      ben: await conv.deps.store.countUnread("ben", s.members.get("ben")!.readSeq),
      cat: await conv.deps.store.countUnread("cat", s.members.get("cat")!.readSeq) };
    expect(counted).toEqual({ ann: 0, ben: 1, cat: 3 });
  });
});

/** Lets writes through but holds their replies (the writer committed; the actor has not heard yet):
 *  storage already shows a batch the actor has not applied. */
function delayReplies(pick: (sqls: string[]) => boolean): () => void {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const inner = env.sql.inner;
  const batch = inner.batch.bind(inner);
  inner.batch = async (b, chain) => {
    await batch(b, chain);
    if (Array.isArray(b) && pick(b.map((s) => s.sql))) await gate;
  };
  return () => {
    inner.batch = batch;
    open();
  };
}

describe("pipelined commits: storage ahead of the actor (from a review)", () => {
  test("a socket connecting while a batch is stored but not applied gets each event once", async () => {
    const conv = await group();
    const open = delayReplies((sqls) => sqls.some((s) => s.startsWith("INSERT INTO events")));
    const m = conv.send({ userId: "ann" }, { clientId: "welcome-dup-1", text: "hello" });
    await tick(30);
    const cat = new TestConn("cat");
    await conv.connect(cat, {});
    open();
    await m;
    await tick(10);
    const seen = [...cat.of("welcome")[0].events.map((e: any) => e.seq), ...cat.of("event").map((f) => f.e.seq)];
    expect(seen).toEqual([1, 2]);
  });

  test("a read counted while a delete is stored but not applied does not count the delete twice", async () => {
    const conv = await group();
    for (let i = 0; i < 3; i++) await conv.send({ userId: "ann" }, { clientId: `dd-msg-${i}`, text: `m${i}` }); // seqs 2-4
    const open = delayReplies((sqls) => sqls.some((s) => s.includes("deleted = 1")));
    const del = conv.deleteMessage({ userId: "ann" }, 4, "dd-delete-1");
    await tick(30);
    const reading = conv.markRead("cat", 2);
    await tick(10);
    open();
    await del;
    await reading;
    const memory = conv.state({ userId: "cat" }).unread.get("cat");
    expect(memory).toBe(await conv.deps.store.countUnread("cat", 2));
    expect(memory).toBe(1);
  });

  test("a read whose unread count cannot be read is counted again when storage answers", async () => {
    const conv = await group();
    for (let i = 0; i < 3; i++) await conv.send({ userId: "ann" }, { clientId: `rf-msg-${i}`, text: `m${i}` });
    expect(conv.state({ userId: "cat" }).unread.get("cat")).toBe(3);
    env.sql.failReads = true;
    await conv.markRead("cat", 4);
    env.sql.failReads = false;
    await tick(1300); // retried after a second
    expect(conv.state({ userId: "cat" }).unread.get("cat")).toBe(0);
  });

  test("when a read before the commit fails, the failed ops are answered once and a resend among them is tried again", async () => {
    const conv = await group();
    await conv.addAttachment({ userId: "ben" }, { id: "a_pipe_read01", name: "f.txt", type: "text/plain", size: 1 });
    env.sql.failReads = true;
    const a = outcome(conv.send({ userId: "ben" }, { clientId: "rr-attach-1", text: "x", attachments: ["a_pipe_read01"] }));
    const b = outcome(conv.send({ userId: "ann" }, { clientId: "rr-plain-01", text: "hi" }));
    const c = outcome(conv.send({ userId: "ann" }, { clientId: "rr-plain-01", text: "hi" }));
    await tick(5);
    env.sql.failReads = false;
    expect(await a).toMatchObject({ err: { code: "storage_unavailable" } });
    expect(await b).toMatchObject({ err: { code: "storage_unavailable" } });
    expect(await c).toMatchObject({ ok: { seq: 2, duplicate: false } }); // the resend went through
    expect(await storedSeqs(conv)).toEqual([[1, "created"], [2, "hi"]]);
  });
});
