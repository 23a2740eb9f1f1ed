/**
 * Two regions (two nats-servers joined as a supercluster by gateways, one redis-server each, one
 * sqld): an actor lives in the region that first used it, on one node there; members connected in
 * the other region reach it across the gateway. While the home region has no node, the other region
 * answers with a clear `unavailable` error rather than placing a second copy, and once a node is
 * back everything acknowledged is there. An actor node whose bus is gone stops (its leases expire).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Nexus, newClientId } from "../support/client.ts";
import { gauge, startCluster, type ClusterNode, type LocalCluster } from "./harness.ts";

let cl: LocalCluster;
let a1: ClusterNode, b1: ClusterNode;

beforeAll(async () => {
  cl = await startCluster([{ id: "a1", region: "a" }, { id: "b1", region: "b" }], { NEXUS_SENDS_PER_SECOND: "10000" });
  ({ a1, b1 } = cl.nodes as Record<string, ClusterNode>);
}, 120_000);
afterAll(() => cl?.stop(), 60_000);

describe("cluster: two regions", () => {
  test("a conversation created in region b lives on b1; a member connected in region a talks to it across the gateway", async () => {
    const viaB = new Nexus(b1.url);
    const alice = await viaB.register("ra");
    const bob0 = await viaB.register("rb");
    const before = await gauge(a1, "nexus_conversation_actors");
    const conv = await alice.createGroup("two regions", [bob0]);
    const bob = await new Nexus(a1.url).login(bob0.username, bob0.password);
    const { sock: sa } = await alice.join(conv.id);
    const { sock: sb } = await bob.join(conv.id);
    const fromA = Array.from({ length: 20 }, () => newClientId("ga"));
    const fromB = Array.from({ length: 20 }, () => newClientId("gb"));
    fromA.forEach((id, i) => sb.send({ t: "send", clientId: id, text: `from a ${i}` }));
    fromB.forEach((id, i) => sa.send({ t: "send", clientId: id, text: `from b ${i}` }));
    const acks = await Promise.all([...fromA.map((id) => sb.replyTo(id, 20_000)), ...fromB.map((id) => sa.replyTo(id, 20_000))]);
    for (const a of acks) expect(a.t).toBe("ack");
    expect(new Set(acks.map((a) => a.seq)).size).toBe(40);
    const seenByA = await sb.take((f) => f.t === "event" && f.e.author === alice.id, 20, 20_000);
    const seenByB = await sa.take((f) => f.t === "event" && f.e.author === bob.id, 20, 20_000);
    expect(seenByA.map((f) => f.e.clientId)).toEqual(fromB);
    expect(seenByB.map((f) => f.e.clientId)).toEqual(fromA);
    // The actor is on b1 only: region a's node bridged to it and placed nothing of its own.
    expect(await gauge(b1, "nexus_conversation_actors")).toBeGreaterThanOrEqual(1);
    expect(await gauge(a1, "nexus_conversation_actors")).toBe(before);
    expect(await gauge(a1, "nexus_cluster_bridged_sockets")).toBeGreaterThanOrEqual(1);
    // Bob's conversation list (his inbox, wherever it lives) shows it.
    const list = await bob.must("GET", "/v1/conversations");
    expect(list.conversations.map((c: any) => c.id)).toContain(conv.id);
    sa.close();
    sb.close();
  }, 60_000);

  test("home region down: the other region says `unavailable` and places no second copy; back up, nothing acked is lost", async () => {
    const viaB = new Nexus(b1.url);
    const alice = await viaB.register("da");
    const bob0 = await viaB.register("db");
    const conv = await alice.createGroup("home down", [bob0]);
    const bob = await new Nexus(a1.url).login(bob0.username, bob0.password);
    for (let i = 0; i < 5; i++) await bob.must("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("hd"), text: `before ${i}` }, 201);
    await b1.kill();
    const res = await bob.api("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("hd"), text: "while down" });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("unavailable");
    expect(await gauge(a1, "nexus_conversation_actors")).toBe(0);
    await b1.start();
    const history = await bob.fullHistory(conv.id);
    const texts = history.filter((e: any) => e.kind === "message").map((e: any) => e.text);
    expect(texts).toEqual([0, 1, 2, 3, 4].map((i) => `before ${i}`));
    const after = await bob.api("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("hd"), text: "after" });
    expect(after.status).toBeLessThan(300);
    expect(after.body.seq).toBe(history[history.length - 1].seq + 1);
  }, 90_000);

  test("an actor node cut off from its bus (its region's nats-server gone) stops, so its leases can expire", async () => {
    const t0 = Date.now();
    await cl.nats.b!.proc.kill();
    const exit = await Promise.race([b1.proc.exited, Bun.sleep(20_000).then(() => null)]);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(b1.proc.log()).toContain("off the bus");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(5_000); // not at the first hiccup
    // The other region goes on.
    expect((await fetch(`${a1.url}/health`)).status).toBe(200);
  }, 60_000);
});
