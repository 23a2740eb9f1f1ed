/**
 * A conversation actor whose storage cannot be reached goes read-only instead of closing its sockets
 * (actors/conversation/storageOutage.ts): a `storage` frame, writes refused with the retryable
 * storage_unavailable (a resend of a stored clientId still acked as a duplicate), resume and history
 * served from memory; once storage answers holding what the actor knows, it is writable again on
 * the same sockets. (Storage answering with more than the actor knows: divergence.test.ts.)
 */
import { afterEach, describe, expect, test } from "bun:test";
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
});
