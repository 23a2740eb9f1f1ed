/**
 * Regions own their data (#15): three regions on one box, 40 ms one way injected between them
 * (scripts/lib/wanProxy.mjs on the NATS gateways and on the accounts server seen from b and c).
 * A conversation homed in a region commits to that region's own libSQL server: its events are there
 * and on no other region's; accounts live in their one home (region a's server) and sign-in works
 * from every region. A conversation created in a whose members only write from c moves to c by
 * itself, losing nothing. Latency against the targets is measured by the bench, not here.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Nexus, newClientId } from "../support/client.ts";
import { BusyWriter } from "./busyWriter.ts";
import { regionRows, startCluster, type ClusterNode, type LocalCluster } from "./harness.ts";

let cl: LocalCluster;

beforeAll(async () => {
  cl = await startCluster([{ id: "a1", region: "a" }, { id: "b1", region: "b" }, { id: "c1", region: "c" }],
    // Automatic moves on a short fuse (movePolicy.ts): checks every 500 ms, two in a row, 5 writes.
    { NEXUS_SENDS_PER_SECOND: "10000", NEXUS_MOVE_CHECK_MS: "500", NEXUS_MOVE_SUSTAINED_CHECKS: "2", NEXUS_MOVE_MIN_WRITES: "5" }, { wanMs: 40 });
}, 180_000);
afterAll(async () => {
  await cl?.stop();
}, 60_000);

/** Rows of `sql` on one region's libSQL server. */
const rows = (region: string, sql: string, args: (string | number)[] = []) => regionRows(cl, region, sql, args);

describe("cluster: regions own their data", () => {
  for (const home of ["b", "c"])
    test(`a conversation created and used in region ${home} commits to ${home}'s libSQL server only`, async () => {
      const node = cl.nodes[`${home}1`] as ClusterNode;
      const via = new Nexus(node.url);
      const alice = await via.register(`l${home}a`);
      const bob = await via.register(`l${home}b`);
      const conv = await alice.createGroup(`local to ${home}`, [bob]);
      const { sock } = await alice.join(conv.id);
      const ids = Array.from({ length: 10 }, () => newClientId("lc"));
      ids.forEach((clientId, i) => sock.send({ t: "send", clientId, text: `local ${i}` }));
      const acks = await Promise.all(ids.map((id) => sock.replyTo(id, 20_000)));
      expect(acks.map((a) => a.seq)).toEqual(acks.map((_, i) => acks[0].seq + i));
      sock.close();

      const here = await rows(home, "SELECT seq, text FROM events WHERE conv_id = ? AND kind = 'message' ORDER BY seq", [conv.id]);
      expect(here.map((r) => r.text)).toEqual(ids.map((_, i) => `local ${i}`));
      for (const other of ["a", "b", "c"].filter((r) => r !== home))
        expect(await rows(other, "SELECT seq FROM events WHERE conv_id = ?", [conv.id])).toEqual([]);
      // The accounts have one home, region a's server, whichever region they signed up through.
      expect((await rows("a", "SELECT username FROM users WHERE id = ?", [alice.id])).map((r) => r.username)).toEqual([alice.username]);
      expect(await rows(home, "SELECT id FROM users WHERE id = ?", [alice.id])).toEqual([]);
    }, 90_000);

  test("a member signs in through another region and reads the conversation across the gateway", async () => {
    const b1 = cl.nodes.b1 as ClusterNode;
    const c1 = cl.nodes.c1 as ClusterNode;
    const alice = await new Nexus(b1.url).register("xra");
    const bob0 = await new Nexus(b1.url).register("xrb");
    const conv = await alice.createGroup("read from c", [bob0]);
    for (let i = 0; i < 3; i++)
      await alice.must("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("xr"), text: `m ${i}` }, 201);
    const bob = await new Nexus(c1.url).login(bob0.username, bob0.password);
    const history = await bob.fullHistory(conv.id);
    expect(history.filter((e: any) => e.kind === "message").map((e: any) => e.text)).toEqual(["m 0", "m 1", "m 2"]);
    expect(await rows("c", "SELECT seq FROM events WHERE conv_id = ?", [conv.id])).toEqual([]);
  }, 90_000);

  test("created in a, written only from c: its home moves to c by itself, every ack kept in order", async () => {
    const a1 = cl.nodes.a1 as ClusterNode;
    const c1 = cl.nodes.c1 as ClusterNode;
    const alice0 = await new Nexus(a1.url).register("ama");
    const bob0 = await new Nexus(a1.url).register("amb");
    const conv = await alice0.createGroup("drifts to c", [bob0]);
    const alice = await new Nexus(c1.url).login(alice0.username, alice0.password);
    const writer = new BusyWriter(alice, conv.id, "am").start();
    const deadline = Date.now() + 30_000;
    let onC = 0;
    while (Date.now() < deadline) {
      await Bun.sleep(300);
      onC = Number((await rows("c", "SELECT count(*) AS n FROM events WHERE conv_id = ?", [conv.id]))[0]?.n ?? 0);
      if (onC > 0) break;
    }
    await Bun.sleep(1000); // and it keeps being written at its new home
    await writer.stop();
    expect(onC).toBeGreaterThan(0);
    expect(await rows("a", "SELECT seq FROM events WHERE conv_id = ?", [conv.id])).toEqual([]);
    const history = await alice.fullHistory(conv.id);
    expect(history.map((e: any) => e.seq)).toEqual(history.map((_: unknown, i: number) => i + 1));
    const bySeq = new Map(history.map((e: any) => [e.seq, e.clientId]));
    for (const a of writer.acks) expect(bySeq.get(a.seq)).toBe(a.clientId);
    const ids = history.filter((e: any) => e.kind === "message").map((e: any) => e.clientId);
    expect(new Set(ids).size).toBe(ids.length);
  }, 90_000);
});
