/**
 * Owner failover on real processes (two actor nodes and an edge-only node in one region, real
 * nats-server, redis-server, sqld): the owner of a busy conversation is killed (-9) while one
 * writer is bridged to it through the edge and another through the surviving actor node. Peers
 * declare it gone from its missing heartbeats and close the sockets bridged to it; nobody is routed
 * to it again while its (short) lease runs out; the survivor claims the conversation and both
 * writers are acknowledged again, with nothing acknowledged lost, duplicated or out of order.
 * The window from the kill to the first new ack is printed (bench/failover.ts measures it over many
 * kills; speed goals live there, not in assertions).
 *
 * A paused owner (SIGSTOP) is not dead: it keeps its connections, so it is not evicted early; a peer
 * takes over once its lease runs out. When it is continued it still believes it owns the conversation
 * for a moment (here stretched to 1.5 s by NEXUS_LEASE_LOSS_EXIT_DELAY_MS, so that it surely tries):
 * its commit is refused by the storage fence (actors/storage/ownerFence.ts), never stored or acked,
 * even though the new owner has written nothing yet (the log's primary key would not have caught it).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { newClientId, Nexus } from "../support/client.ts";
import { BusyWriter } from "./busyWriter.ts";
import { gauge, startCluster, type ClusterNode, type LocalCluster } from "./harness.ts";

let cl: LocalCluster;

beforeAll(async () => {
  cl = await startCluster([{ id: "a1", region: "a" }, { id: "a2", region: "a" }, { id: "e1", region: "a", role: "edge" }], {
    NEXUS_SENDS_PER_SECOND: "10000",
    NEXUS_LEASE_LOSS_EXIT_DELAY_MS: "1500",
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

  test("a paused owner (SIGSTOP) is taken over after its lease; continued, its commit is refused by the storage fence", async () => {
    const nx = new Nexus(cl.nodes.e1!.url);
    const alice0 = await nx.register("pa");
    const carol0 = await nx.register("pc");
    const before = { a1: await gauge(cl.nodes.a1!, "nexus_conversation_actors"), a2: await gauge(cl.nodes.a2!, "nexus_conversation_actors") };
    const conv = await alice0.createGroup("owner paused", [carol0]);
    await alice0.must("GET", `/v1/conversations/${conv.id}/messages`);
    const owner = await ownerAfter(before);
    const survivor = cl.nodes[owner.id === "a1" ? "a2" : "a1"]!;
    const alice = await new Nexus(survivor.url).login(alice0.username, alice0.password);
    // Carol's socket is on the owner itself: what she sends while it is stopped waits in its kernel buffer.
    const carol = await new Nexus(owner.url).login(carol0.username, carol0.password);
    const { sock: stale } = await carol.join(conv.id);
    const first = await stale.sendMessage("before the pause");
    expect(first.t).toBe("ack");

    const peersBefore = await gauge(survivor, "nexus_cluster_peers");
    process.kill(owner.proc.pid, "SIGSTOP");
    const staleId = newClientId("stale");
    stale.send({ t: "send", clientId: staleId, text: "sent to a paused owner" });
    // The survivor declares it gone (no heartbeats) but cannot claim before its lease runs out (a
    // paused node keeps its connections, so it is not evicted early). A read then makes the survivor
    // the owner: it takes a newer fencing token and loads, and has written nothing yet, so only the
    // fence (not the log's primary key) stands between the paused owner's pending send and storage.
    while ((await gauge(survivor, "nexus_cluster_peers")) >= peersBefore) await Bun.sleep(20);
    const survivorBefore = await gauge(survivor, "nexus_conversation_actors");
    await alice.must("GET", `/v1/conversations/${conv.id}/messages`);
    expect(await gauge(survivor, "nexus_conversation_actors")).toBe(survivorBefore + 1);

    const exited = owner.proc.exited;
    process.kill(owner.proc.pid, "SIGCONT");
    // The old owner reads Carol's frame and commits it with its old token: refused, never acked.
    const reply = await stale.replyTo(staleId, 10_000).catch(() => null);
    expect(reply?.t === "ack").toBe(false);
    const deadline = Date.now() + 10_000;
    while (!owner.proc.log(100_000).includes("owner_fence") && Date.now() < deadline) await Bun.sleep(50);
    expect(owner.proc.log(100_000)).toContain("CHECK constraint failed: owner_fence");
    expect((await exited).code).toBe(1); // then it notices its lease is gone and stops
    await stale.close().catch(() => {});

    // The new owner writes on from what is stored: the next seq, nothing of the stale send.
    const { sock } = await alice.join(conv.id);
    const ack = await sock.sendMessage("after the takeover");
    expect(ack.t).toBe("ack");
    expect(ack.seq).toBe(first.seq + 1);
    await sock.close();
    const all = await alice.fullHistory(conv.id);
    all.forEach((e: any, i: number) => expect(e.seq).toBe(i + 1));
    expect(all.some((e: any) => e.clientId === staleId)).toBe(false);
    await owner.start();
  }, 120_000);
});
