/**
 * Two regions (two nats-servers joined as a supercluster by gateways, one redis-server each, one
 * sqld): an actor lives in the region that first used it, on one node there; members connected in
 * the other region reach it across the gateway. While the home region has no node, the other region
 * answers with a clear `unavailable` error rather than placing a second copy, and once a node is
 * back everything acknowledged is there. A node whose region's NATS goes away stays up, serves its
 * own sockets, and serves everything again once NATS is back, without a restart.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { Nexus, newClientId } from "../support/client.ts";
import { gauge, startCluster, type ClusterNode, type LocalCluster } from "./harness.ts";

let cl: LocalCluster;
let a1: ClusterNode, b1: ClusterNode;
/** Region b's nats-server started again by the outage test (the harness stops only the first one). */
let restarted: Subprocess | undefined;

beforeAll(async () => {
  cl = await startCluster([{ id: "a1", region: "a" }, { id: "b1", region: "b" }], { NEXUS_SENDS_PER_SECOND: "10000" });
  ({ a1, b1 } = cl.nodes as Record<string, ClusterNode>);
}, 120_000);
afterAll(async () => {
  await cl?.stop();
  restarted?.kill();
  await restarted?.exited;
}, 60_000);

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

  test("a region's nats-server gone for ~10 s: its node stays up, serves its own sockets, refuses what needs the bus; NATS back, it serves everything again", async () => {
    const viaB = new Nexus(b1.url);
    const alice = await viaB.register("na");
    const bob0 = await viaB.register("nb");
    const homedB = await alice.createGroup("nats outage", [bob0]);
    const bob = await new Nexus(a1.url).login(bob0.username, bob0.password);
    const homedA = await bob.createGroup("homed in a", [alice]);
    const { sock: sa } = await alice.join(homedB.id);
    const acked = new Map<string, number>();
    const sendOn = async (text: string) => {
      const clientId = newClientId("no");
      const r = await sa.sendMessage(text, clientId);
      expect(r.t).toBe("ack");
      acked.set(clientId, r.seq);
    };
    for (let i = 0; i < 3; i++) await sendOn(`before ${i}`);

    const nats = cl.nats.b!;
    await nats.proc.kill();
    const t0 = Date.now();
    // Meanwhile b1 keeps acknowledging its own socket (the actor is owned here; commits go to sqld) …
    let during = 0;
    while (Date.now() - t0 < 10_000) {
      await sendOn(`during ${during++}`);
      await Bun.sleep(250);
    }
    // … and refuses at once, with a retryable code, what would need another node.
    const remote = await alice.api("GET", `/v1/conversations/${homedA.id}/messages`);
    expect(remote.status).toBe(503);
    expect(remote.body.error.code).toBe("unavailable");
    expect(b1.proc.running()).toBe(true);

    // NATS comes back on the same ports and store; nobody touches b1.
    const conf = join(nats.dir, "nats.conf");
    restarted = Bun.spawn([Bun.which("nats-server", { PATH: `${process.env.PATH}:/usr/sbin` })!, "-c", conf], { stdout: "ignore", stderr: "ignore" });
    const back = Date.now();
    // When the server answers and when b1 says it is back on the bus (both only printed, below).
    let ready = 0;
    let rejoined = 0;
    void (async () => {
      while (!ready) {
        if (await fetch(`http://127.0.0.1:${nats.monitorPort}/healthz`).then((r) => r.ok, () => false)) ready = Date.now();
        else await Bun.sleep(50);
      }
    })();
    void (async () => {
      while (!rejoined && Date.now() - back < 60_000) {
        if (b1.proc.log(1_000_000).includes("is back on the bus")) rejoined = Date.now();
        else await Bun.sleep(50);
      }
    })();
    let served = 0;
    for (;;) {
      const clientId = newClientId("nb");
      const r = await bob.api("POST", `/v1/conversations/${homedB.id}/messages`, { clientId, text: "from a, NATS back" });
      if (r.status === 201) {
        acked.set(clientId, r.body.seq);
        served = Date.now();
        break;
      }
      expect(r.body.error.code).toBe("unavailable"); // refused, retryable, until b1 is reachable again
      if (Date.now() - back > 60_000) throw new Error("b1 never served region a again");
      await Bun.sleep(100);
    }
    console.log(`[bus outage] ${during} sends acked on b1 while its NATS was down; nats-server restarted -> healthy ${ready - back} ms, b1 back on the bus ${rejoined - back} ms, region a served by b1 again ${served - back} ms`);
    // Live across the gateway again: bob (in a) sees alice's next message (in b) on his socket.
    const { sock: sbob } = await bob.join(homedB.id);
    await sendOn("after");
    const seen = await sbob.next((f) => f.t === "event" && f.e.text === "after", 15_000);
    expect(seen.e.seq).toBe([...acked.values()].pop()!);
    expect(b1.proc.running()).toBe(true);

    const history = await bob.fullHistory(homedB.id);
    history.forEach((e: any, i: number) => expect(e.seq).toBe(i + 1));
    const bySeq = new Map(history.map((e: any) => [e.seq, e]));
    for (const [clientId, seq] of acked) expect(bySeq.get(seq)?.clientId).toBe(clientId);
    expect(history.filter((e: any) => e.kind === "message").length).toBe(acked.size);
    sa.close();
    sbob.close();
  }, 120_000);

  test("a node started while its region's Redis is down waits for it and serves as soon as Redis is back (no exit, no backoff)", async () => {
    const viaB = new Nexus(b1.url);
    const alice = await viaB.register("ra");
    const conv = await alice.createGroup("redis outage", []);
    await b1.kill();
    await cl.redis.b!.proc.kill();
    // Started with Redis down: it must wait, not exit (its supervisor's backoff would grow).
    // (start() resolves once /health answers, and rejects if the process exits first.)
    let exited: unknown;
    const started = b1.start().catch((e) => void (exited = e));
    // Until it says it waits (a loaded box can take seconds to load the process), then a little more.
    for (const t0 = Date.now(); !b1.proc.log(1_000_000).includes("waiting for Redis") && exited === undefined && Date.now() - t0 < 30_000; ) await Bun.sleep(100);
    await Bun.sleep(1000);
    expect(exited).toBeUndefined();
    await cl.redis.b!.restart();
    const back = Date.now();
    await started;
    expect(exited).toBeUndefined();
    expect(b1.proc.log(1_000_000)).toContain("waiting for Redis");
    let served = 0;
    for (;;) {
      const r = await alice.api("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("rb"), text: "redis back" });
      if (r.status === 201) {
        served = Date.now();
        break;
      }
      if (Date.now() - back > 30_000) throw new Error(`b1 never served after Redis came back: ${r.status} ${r.text}`);
      await Bun.sleep(100);
    }
    console.log(`[redis outage] node started with Redis down; Redis restarted -> a write acked through b1 ${served - back} ms later`);
    expect(b1.proc.running()).toBe(true);
  }, 90_000);
});
