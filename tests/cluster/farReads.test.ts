/**
 * History near its readers (hosts/cluster/farHistory.ts): regions a and b, 20 ms one way between
 * them, every node given the other region's primary (NEXUS_REGION_LIBSQL_URLS). A member connected
 * through a reads a b-homed conversation's pages from a1's replica of b's primary (the owner still
 * authorizes each read and names the newest seq); with region b's node killed, the same member
 * still reads its history, marked read-only, while a non-member is refused and writes get 503.
 * Latencies are printed for docs/cluster.md.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Nexus, newClientId, type Session } from "../support/client.ts";
import { gauge, startCluster, type ClusterNode, type LocalCluster } from "./harness.ts";

const WAN_MS = 20;
let cl: LocalCluster;
let a1: ClusterNode, b1: ClusterNode;
let alice: Session, bob: Session, carol: Session;
let convId = "";
/** The whole log as the home region's node serves it, 120 messages. */
let expected: number[] = [];

beforeAll(async () => {
  cl = await startCluster([{ id: "a1", region: "a" }, { id: "b1", region: "b" }],
    { NEXUS_SENDS_PER_SECOND: "10000", NEXUS_MOVE_CHECK_MS: "0" }, { wanMs: WAN_MS, farReplicas: true });
  ({ a1, b1 } = cl.nodes as Record<string, ClusterNode>);
  const viaB = new Nexus(b1.url);
  alice = await viaB.register("fa");
  const bob0 = await viaB.register("fb");
  const conv = await alice.createGroup("far reads", [bob0]); // created through b: homed in b
  convId = conv.id;
  for (let i = 0; i < 120; i++)
    await alice.must("POST", `/v1/conversations/${convId}/messages`, { clientId: newClientId("fr"), text: `m ${i}` }, 201);
  bob = await new Nexus(a1.url).login(bob0.username, bob0.password);
  carol = await new Nexus(a1.url).register("fc");
  expected = (await alice.fullHistory(convId, 50)).map((e: any) => e.seq);
}, 120_000);
afterAll(async () => {
  await cl?.stop();
}, 60_000);

/** GET a history page with its headers (the test client's `api` drops them). */
async function page(who: Session, node: ClusterNode, before?: number, limit = 50) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (before !== undefined) q.set("before", String(before));
  const t0 = performance.now();
  const res = await fetch(`${node.url}/v1/conversations/${convId}/messages?${q}`, { headers: { authorization: `Bearer ${who.token}` } });
  const ms = performance.now() - t0;
  return { status: res.status, readOnly: res.headers.get("x-nexus-read-only"), body: (await res.json()) as any, ms };
}

/** Every page, newest first, following `before`; returns the seqs ascending and each page's time. */
async function allPages(who: Session, node: ClusterNode) {
  const seqs: number[][] = [];
  const times: number[] = [];
  let before: number | undefined;
  for (;;) {
    const p = await page(who, node, before);
    expect(p.status).toBe(200);
    seqs.unshift(p.body.events.map((e: any) => e.seq));
    times.push(p.ms);
    if (!p.body.hasMore) return { seqs: seqs.flat(), times, last: p };
    before = p.body.events[0].seq;
  }
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(", ");

describe("cluster: history near its readers", () => {
  test("a member through region a reads a b-homed conversation's pages from a1's replica of b's primary", async () => {
    expect(await gauge(a1, "nexus_far_replicas_open")).toBe(0); // opened lazily
    // The first read opens the replica (its first sync pulls b's database across the WAN).
    const first = await page(bob, a1);
    expect(first.status).toBe(200);
    expect(first.readOnly).toBeNull();
    // (On a loaded box the open may outlast the first read, which the owner then served.)
    for (const until = Date.now() + 15_000; (await gauge(a1, "nexus_far_replicas_open")) < 1 && Date.now() < until; ) await Bun.sleep(100);
    expect(await gauge(a1, "nexus_far_replicas_open")).toBe(1);
    const servedBefore = await gauge(a1, "nexus_far_replica_pages");
    const viaA = await allPages(bob, a1);
    expect(viaA.seqs).toEqual(expected);
    // Every page of that walk came from the replica, none from the owner.
    expect((await gauge(a1, "nexus_far_replica_pages")) - servedBefore).toBe(viaA.times.length);
    const fallbacks = await gauge(a1, "nexus_far_replica_fallbacks");

    // A write, then the newest page at once: it must show the write (the owner names the newest seq,
    // the replica syncs to hold it).
    const sent = await alice.must("POST", `/v1/conversations/${convId}/messages`, { clientId: newClientId("fr"), text: "newest" }, 201);
    expected.push(sent.seq);
    const fresh = await page(bob, a1);
    expect(fresh.body.events.at(-1).seq).toBe(sent.seq);
    expect(await gauge(a1, "nexus_far_replica_fallbacks")).toBe(fallbacks);

    // A non-member is refused as before (the owner authorizes every read).
    const refused = await page(carol, a1);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("not_member");

    const viaA2 = await allPages(bob, a1);
    const viaB = await allPages(alice, b1);
    expect(viaB.seqs).toEqual(expected);
    // The owner's round trip alone (what every history read through a cost before, plus its rows).
    const info: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await bob.must("GET", `/v1/conversations/${convId}`);
      info.push(performance.now() - t0);
    }
    console.log(`[far-reads] WAN ${WAN_MS} ms one way. first page through a1 (opens the replica): ${first.ms.toFixed(1)} ms; ` +
      `pages through a1 from its replica of b: ${fmt(viaA2.times)} ms (median ${median(viaA2.times).toFixed(1)}); ` +
      `newest page right after a write: ${fresh.ms.toFixed(1)} ms; the same pages through b1 (home): ${fmt(viaB.times)} ms (median ${median(viaB.times).toFixed(1)}); ` +
      `the owner's round trip alone (GET /v1/conversations/:id through a1): ${fmt(info)} ms; ` +
      `a1 replica fallbacks: ${await gauge(a1, "nexus_far_replica_fallbacks")}`);
  }, 60_000);

  test("region b's node killed: its member through a still reads the history, marked read-only; a non-member is refused; writes get 503", async () => {
    await b1.kill();
    const t0 = performance.now();
    const first = await page(bob, a1);
    const firstMs = performance.now() - t0;
    expect(first.status).toBe(200);
    expect(first.readOnly).toBe("1");
    expect(first.body.readOnly).toBe(true);
    const stale = await allPages(bob, a1);
    expect(stale.seqs).toEqual(expected); // the replica had everything (it synced for the newest page)
    expect(stale.last.readOnly).toBe("1");
    expect(await gauge(a1, "nexus_far_replica_stale_pages")).toBeGreaterThanOrEqual(stale.times.length + 1);

    const refused = await page(carol, a1);
    expect([403, 404]).toContain(refused.status);
    expect(refused.body.error.code).toBe("not_member");

    const write = await bob.api("POST", `/v1/conversations/${convId}/messages`, { clientId: newClientId("fr"), text: "while b is gone" });
    expect(write.status).toBe(503);
    expect(write.body.error.code).toBe("unavailable");
    console.log(`[far-reads] b1 killed: first read-only page through a1 ${firstMs.toFixed(1)} ms after the kill; ` +
      `read-only pages: ${fmt(stale.times)} ms (median ${median(stale.times).toFixed(1)})`);
  }, 60_000);
});
