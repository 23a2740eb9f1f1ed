/**
 * When storage may hold what a conversation actor does not know — a commit whose answer was lost
 * after the server committed it, or another writer's event (a fenced former owner in cluster mode)
 * — the actor stops writing, closes its sockets (1001) and the host loads a fresh one from storage
 * (a lost answer first makes it read-only until storage answers: storageOutage.ts).
 * Before, every later commit reused a stored seq and failed until a restart.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { BunActorSystem } from "../../hosts/bun/BunActorSystem.ts";
import { LimitsSchema } from "../../protocol/index.ts";
import { makeSystem, member, TestConn, tick } from "./harness.ts";

let env: Awaited<ReturnType<typeof makeSystem>>;
afterEach(async () => env && (await env.close()));

const ID = "g_diverge01";
const outcome = <T>(p: Promise<T>) => p.then((ok) => ({ ok }), (err) => ({ err }));

async function group() {
  env = await makeSystem({ sendsPerSecond: 1000 });
  const conv = env.system.conversation(ID);
  await conv.create({ userId: "ann" }, { type: "group", title: "t", members: ["ann", "ben", "cat"].map((m) => member(m)) });
  return conv;
}

const texts = async () =>
  (await env.system.conversation(ID).history({ userId: "ann" }, undefined, 50)).events.map((e) => [e.seq, e.kind === "message" ? e.text : e.kind]);

describe("storage diverged from the actor", () => {
  test("a commit whose answer was lost: sockets told to reload, a fresh actor answers the resend as a duplicate and goes on", async () => {
    const conv = await group();
    const cat = new TestConn("cat");
    await conv.connect(cat, {});
    expect(await conv.send({ userId: "ann" }, { clientId: "dv-one-0001", text: "one" })).toMatchObject({ seq: 2 });
    let once = true;
    env.sql.commitThenFailWhen = () => (once ? !(once = false) : false);
    const lost = await outcome(conv.send({ userId: "ann" }, { clientId: "dv-two-0002", text: "two" }));
    expect(lost).toMatchObject({ err: { code: "storage_unavailable" } });
    // Read-only until storage answers (storageOutage.ts); it answers holding more than the actor
    // knows (the lost batch), so the actor reloads and the sockets are told to.
    expect(cat.of("storage")).toEqual([{ t: "storage", readOnly: true }]);
    for (let i = 0; i < 150 && !cat.closed; i++) await Bun.sleep(20);
    expect(cat.closed).toEqual({ code: 1001, reason: "reloading the conversation" });
    // The old actor writes nothing more.
    expect(await outcome(conv.send({ userId: "ben" }, { clientId: "dv-old-0003", text: "to the old actor" }))).toMatchObject({ err: { code: "storage_unavailable" } });
    const fresh = env.system.conversation(ID);
    expect(fresh).not.toBe(conv);
    // The client's resend of the lost one: stored once, with the seq it got.
    expect(await fresh.send({ userId: "ann" }, { clientId: "dv-two-0002", text: "two" })).toMatchObject({ seq: 3, duplicate: true });
    expect(await fresh.send({ userId: "ben" }, { clientId: "dv-three-004", text: "three" })).toMatchObject({ seq: 4, duplicate: false });
    expect(await texts()).toEqual([[1, "created"], [2, "one"], [3, "two"], [4, "three"]]);
    // Cat resumes and gets exactly what it missed.
    const cat2 = new TestConn("cat");
    await fresh.connect(cat2, { after: 2, epoch: cat.of("welcome")[0].conversation.epoch });
    const welcome = cat2.of("welcome")[0];
    expect(welcome.recovered).toBe(true);
    expect(welcome.events.map((e: any) => e.seq)).toEqual([3, 4]);
  });

  test("another writer's event (a fenced former owner): the collision reloads the actor instead of failing every send after it", async () => {
    const conv = await group();
    expect(await conv.send({ userId: "ann" }, { clientId: "dv-mine-0001", text: "mine" })).toMatchObject({ seq: 2 });
    // A second host on the same storage (another node) writes seq 3 behind this actor's back.
    const other = new BunActorSystem(env.sql, LimitsSchema.parse({ sendsPerSecond: 1000 }));
    expect(await other.conversation(ID).send({ userId: "ben" }, { clientId: "dv-rival-001", text: "rival" })).toMatchObject({ seq: 3 });
    const clash = await outcome(conv.send({ userId: "ann" }, { clientId: "dv-next-0002", text: "next" }));
    expect(clash).toMatchObject({ err: { code: "storage_unavailable" } });
    const fresh = env.system.conversation(ID);
    expect(fresh).not.toBe(conv);
    expect(await fresh.send({ userId: "ann" }, { clientId: "dv-next-0002", text: "next" })).toMatchObject({ seq: 4, duplicate: false });
    expect(await texts()).toEqual([[1, "created"], [2, "mine"], [3, "rival"], [4, "next"]]);
    await tick(10);
  });
});
