/**
 * Owner failover on real processes (two actor nodes and an edge-only node in one region, real
 * nats-server, redis-server, sqld): the owner of a busy conversation is killed (-9) while one
 * writer is bridged to it through the edge and another through the surviving actor node. Peers
 * declare it gone from its missing heartbeats and close the sockets bridged to it; nobody is routed
 * to it again while its (short) lease runs out; the survivor claims the conversation and both
 * writers are acknowledged again, with nothing acknowledged lost, duplicated or out of order.
 * The window from the kill to the first new ack is printed (bench/failover.ts measures it over many
 * kills; speed goals live there, not in assertions).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Nexus } from "../support/client.ts";
import { BusyWriter } from "./busyWriter.ts";
import { gauge, startCluster, type ClusterNode, type LocalCluster } from "./harness.ts";

let cl: LocalCluster;

beforeAll(async () => {
  cl = await startCluster([{ id: "a1", region: "a" }, { id: "a2", region: "a" }, { id: "e1", region: "a", role: "edge" }], {
    NEXUS_SENDS_PER_SECOND: "10000",
  });
}, 120_000);
afterAll(() => cl?.stop(), 60_000);

/** The actor node that holds the conversation: the one whose count of loaded conversations rose. */
async function ownerAfter(before: Record<string, number>): Promise<ClusterNode> {
  for (const id of ["a1", "a2"]) if ((await gauge(cl.nodes[id]!, "nexus_conversation_actors")) > before[id]!) return cl.nodes[id]!;
  throw new Error("no actor node loaded the conversation");
}

describe("cluster: owner killed", () => {
  test("kill -9 of a busy conversation's owner: bridged sockets close, writes are acked again on the survivor, every ack kept once in order", async () => {
    const e1 = cl.nodes.e1!;
    const nx = new Nexus(e1.url);
    const alice = await nx.register("ka");
    const bob0 = await nx.register("kb");
    const before = { a1: await gauge(cl.nodes.a1!, "nexus_conversation_actors"), a2: await gauge(cl.nodes.a2!, "nexus_conversation_actors") };
    const conv = await alice.createGroup("owner killed", [bob0]);
    await alice.must("GET", `/v1/conversations/${conv.id}/messages`); // loads the actor on its owner
    const owner = await ownerAfter(before);
    const survivor = cl.nodes[owner.id === "a1" ? "a2" : "a1"]!;
    // Bob talks through the survivor: his socket is bridged from the survivor to the owner.
    const bob = await new Nexus(survivor.url).login(bob0.username, bob0.password);
    const writers = [new BusyWriter(alice, conv.id, "via-edge").start(), new BusyWriter(bob, conv.id, "via-survivor").start()];
    while (writers.some((w) => w.acks.length < 20)) await Bun.sleep(50);
    expect(await gauge(survivor, "nexus_cluster_bridged_sockets")).toBe(1);

    const peersBefore = await gauge(survivor, "nexus_cluster_peers");
    const killedAt = Date.now();
    await owner.kill();
    // Once the survivor has declared the owner gone, a join through it is never bridged to the dead
    // node (where it would get no welcome): it waits for the lease to run out and is welcomed.
    while ((await gauge(survivor, "nexus_cluster_peers")) >= peersBefore) await Bun.sleep(20);
    const { sock, welcome } = await bob.join(conv.id);
    expect(welcome.t).toBe("welcome");
    await sock.close();
    while (writers.some((w) => w.acksAfter(killedAt) < 20)) await Bun.sleep(50);
    await Promise.all(writers.map((w) => w.stop()));

    for (const w of writers) {
      const first = w.firstAckAfter(killedAt)!;
      console.log(`[failover] ${w.name}: kill -> first new ack ${first.at - killedAt} ms (${w.failedJoins} failed joins meanwhile)`);
      // Its bridged socket was closed (the clients reconnected), not left hanging on a dead node.
      expect(w.closes).toBeGreaterThanOrEqual(1);
    }
    // The survivor owns it now and nothing is bridged to the dead node.
    expect(await gauge(survivor, "nexus_conversation_actors")).toBeGreaterThan(0);

    // Storage holds every acked message once, at its acked seq, each writer's in its send order.
    const all = await alice.fullHistory(conv.id);
    all.forEach((e: any, i: number) => expect(e.seq).toBe(i + 1));
    const history = all.filter((e: any) => e.kind === "message");
    const bySeq = new Map(history.map((e: any) => [e.seq, e]));
    expect(new Set(history.map((e: any) => e.clientId)).size).toBe(history.length);
    for (const w of writers) {
      for (const a of w.acks) expect(bySeq.get(a.seq)?.clientId).toBe(a.clientId);
      const mine = history.filter((e: any) => e.author === (w.name === "via-edge" ? alice.id : bob.id)).map((e: any) => e.clientId);
      // Sent one at a time: stored in send order, each at most once, the acked ones all there.
      expect(mine).toEqual(w.sent.map((s) => s.clientId).filter((id) => mine.includes(id)));
      expect(mine.length).toBeGreaterThanOrEqual(w.acks.length);
      expect(new Set(w.acks.map((a) => a.clientId)).size).toBe(w.acks.length);
    }
    await owner.start();
  }, 120_000);
});
