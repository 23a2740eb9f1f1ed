/**
 * Regions own their data (#15): three regions on one box, 40 ms one way injected between them
 * (scripts/lib/wanProxy.mjs on the NATS gateways and on the accounts server seen from b and c).
 * A conversation homed in a region commits to that region's own libSQL server: its events are there
 * and on no other region's; accounts live in their one home (region a's server) and sign-in works
 * from every region. Latency against the targets is measured by the bench, not here.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createClient } from "@libsql/client";
import { Nexus, newClientId } from "../support/client.ts";
import { startCluster, type ClusterNode, type LocalCluster } from "./harness.ts";

let cl: LocalCluster;

beforeAll(async () => {
  cl = await startCluster([{ id: "a1", region: "a" }, { id: "b1", region: "b" }, { id: "c1", region: "c" }],
    { NEXUS_SENDS_PER_SECOND: "10000" }, { wanMs: 40 });
}, 180_000);
afterAll(async () => {
  await cl?.stop();
}, 60_000);

/** Rows of `sql` on one region's libSQL server. */
async function rows(region: string, sql: string, args: (string | number)[] = []): Promise<Record<string, unknown>[]> {
  const client = createClient({ url: cl.sqlds[region]!.url });
  try {
    return (await client.execute({ sql, args })).rows as unknown as Record<string, unknown>[];
  } catch (e) {
    if (/no such table/.test(String(e))) return [];
    throw e;
  } finally {
    client.close();
  }
}

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
});
