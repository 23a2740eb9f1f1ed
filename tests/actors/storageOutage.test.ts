/**
 * A conversation actor whose storage cannot be reached goes read-only instead of closing its sockets
 * (actors/conversation/storageOutage.ts): a `storage` frame, writes refused with the retryable
 * storage_unavailable (a resend of a stored clientId still acked as a duplicate), resume and history
 * served from memory; once storage answers holding what the actor knows, it is writable again on
 * the same sockets. (Storage answering with more than the actor knows: divergence.test.ts.)
 */
import { afterEach, describe, expect, test } from "bun:test";
import { BunActorSystem } from "../../hosts/bun/BunActorSystem.ts";
import { LimitsSchema } from "../../protocol/index.ts";
import type { ReplicaReads } from "../../actors/storage/sql.ts";
import { makeSystem, member, TestConn } from "./harness.ts";

let env: Awaited<ReturnType<typeof makeSystem>>;
afterEach(async () => env && (await env.close()));

const ID = "g_outage001";
const ann = { userId: "ann" };
const outcome = <T>(p: Promise<T>) => p.then((ok) => ({ ok }), (err) => ({ err }));

describe("storage unreachable", () => {
  test("read-only: sockets stay, resume and history from memory, writes refused; writable again by itself", async () => {
    env = await makeSystem({ sendsPerSecond: 1000 });
    const conv = env.system.conversation(ID);
    await conv.create(ann, { type: "group", title: "t", members: ["ann", "ben", "cat"].map((m) => member(m)) });
    const cat = new TestConn("cat");
    await conv.connect(cat, {});
    for (let i = 1; i <= 3; i++) expect(await conv.send(ann, { clientId: `so-msg-000${i}`, text: `m${i}` })).toMatchObject({ seq: i + 1 });

    env.sql.unreachable = true;
    expect(await outcome(conv.send(ann, { clientId: "so-new-0001", text: "while down" }))).toMatchObject({ err: { code: "storage_unavailable" } });
    expect(cat.of("storage")).toEqual([{ t: "storage", readOnly: true }]);
    // Refused at once now, without trying storage; a resend of a stored one is still acked.
    expect(await outcome(conv.send(ann, { clientId: "so-new-0001", text: "while down" }))).toMatchObject({ err: { code: "storage_unavailable" } });
    expect(await conv.send(ann, { clientId: "so-msg-0002", text: "m2" })).toMatchObject({ seq: 3, duplicate: true });

    const cat2 = new TestConn("cat");
    await conv.connect(cat2, { after: 2, epoch: cat.of("welcome")[0].conversation.epoch });
    const welcome = cat2.of("welcome")[0];
    expect(welcome).toMatchObject({ recovered: true, readOnly: true });
    expect(welcome.events.map((e: any) => e.seq)).toEqual([3, 4]);
    const page = await conv.history(ann, undefined, 2);
    expect(page.events.map((e: any) => e.seq)).toEqual([3, 4]);
    expect(page.hasMore).toBe(true);

    env.sql.unreachable = false;
    for (let i = 0; i < 150 && cat.of("storage").length < 2; i++) await Bun.sleep(20);
    expect(cat.of("storage")).toEqual([{ t: "storage", readOnly: true }, { t: "storage", readOnly: false }]);
    expect(await conv.send(ann, { clientId: "so-new-0001", text: "while down" })).toMatchObject({ seq: 5, duplicate: false });
    expect(cat.closed).toBeNull();
    expect(cat2.closed).toBeNull();
    const fresh = new TestConn("ben");
    await conv.connect(fresh, {});
    expect(fresh.of("welcome")[0].readOnly).toBeUndefined();
  });

  test("a resume older than memory: the part memory no longer holds comes from the node's replica, gap-free", async () => {
    env = await makeSystem({ sendsPerSecond: 1000 });
    const first = env.system.conversation(ID);
    await first.create(ann, { type: "group", title: "t", members: ["ann", "ben", "cat"].map((m) => member(m)) });
    for (let i = 1; i <= 3; i++) await first.send(ann, { clientId: `so-old-000${i}`, text: `old${i}` }); // seqs 2-4
    // A replica that trails: it has seq 4 and nothing after (as if last synced then).
    const inner = env.sql.inner;
    const replica: ReplicaReads = {
      all: async (sql, args) => {
        if (/seq = \?/.test(sql) && Number(args?.[1]) > 4) return [];
        return ((await inner.all(sql, args)) as any[]).filter((r) => !("seq" in r) || Number(r.seq) <= 4);
      },
      sync: async () => {},
      warm: false,
      noteRead: () => {},
      stats: { reads: 0, syncs: 0, fallbacks: 0, backgroundSyncs: 0 },
    };
    Object.defineProperty(env.sql, "replica", { value: replica });
    // Another host loads it afresh: its memory starts after seq 4.
    const other = new BunActorSystem(env.sql, LimitsSchema.parse({ sendsPerSecond: 1000 }), { });
    const conv = other.conversation(ID);
    for (let i = 1; i <= 2; i++) expect(await conv.send(ann, { clientId: `so-new-000${i}`, text: `new${i}` })).toMatchObject({ seq: 4 + i });
    env.sql.unreachable = true;
    const cat = new TestConn("cat");
    await conv.connect(cat, { after: 2, epoch: (await conv.info(ann)).epoch });
    expect(cat.closed).toBeNull();
    expect(cat.of("welcome")[0]).toMatchObject({ recovered: true, readOnly: true });
    expect(cat.of("welcome")[0].events.map((e: any) => e.seq)).toEqual([3, 4, 5, 6]);
    env.sql.unreachable = false;
    await other.close();
  });

  test("loaded from the replica: a read moves the cursor without recounting from the unreachable primary; stored at the reload", async () => {
    env = await makeSystem({ sendsPerSecond: 1000 });
    const first = env.system.conversation(ID);
    await first.create(ann, { type: "group", title: "t", members: ["ann", "ben", "cat"].map((m) => member(m)) });
    for (let i = 1; i <= 3; i++) await first.send(ann, { clientId: `so-rd-000${i}`, text: `r${i}` }); // seqs 2-4
    const inner = env.sql.inner;
    const replica: ReplicaReads = { all: (sql, args) => inner.all(sql, args), sync: async () => {}, warm: false, noteRead: () => {},
      stats: { reads: 0, syncs: 0, fallbacks: 0, backgroundSyncs: 0 } };
    Object.defineProperty(env.sql, "replica", { value: replica });
    // Counts asked of the primary (unread, mentions): none may be tried while it is unreachable.
    let counts = 0;
    const all = env.sql.all;
    env.sql.all = (sql, args) => (/COUNT\(\*\)/.test(sql) && counts++, all(sql, args));
    env.sql.unreachable = true;
    const other = new BunActorSystem(env.sql, LimitsSchema.parse({ sendsPerSecond: 1000 }), {});
    const conv = other.conversation(ID);
    const cat = new TestConn("cat");
    await conv.connect(cat, {});
    expect(cat.of("welcome")[0]).toMatchObject({ readOnly: true });
    await conv.receive(cat, JSON.stringify({ t: "read", seq: 4 }));
    expect(cat.of("read")).toEqual([{ t: "read", userId: "cat", seq: 4 }]);
    await Bun.sleep(1200); // a failed recount would have been tried again by now
    expect(counts).toBe(0);
    env.sql.unreachable = false;
    for (let i = 0; i < 150 && !cat.closed; i++) await Bun.sleep(20);
    expect(cat.closed?.code).toBe(1001); // reloaded from the primary, as before
    // The reload closes the sockets first, then writes what the old instance held behind
    // (ConversationActor.diverged): the cursor lands a moment after the close.
    const readSeq = async () => Number((await inner.all<{ read_seq: number }>("SELECT read_seq FROM members WHERE conv_id = ? AND user_id = ?", [ID, "cat"]))[0]?.read_seq);
    for (let i = 0; i < 100 && (await readSeq()) !== 4; i++) await Bun.sleep(20);
    expect(await readSeq()).toBe(4);
    await other.close();
  });
});
