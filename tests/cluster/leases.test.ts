/**
 * NodeLeases against a real redis-server: claim races between two nodes, death and self-fencing,
 * restarts with the same nodeId, release, liveness.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Redis } from "ioredis";
import { LeaseLostError, NodeLeases } from "../../hosts/cluster/leases.ts";
import { startRedis, type RunningServer } from "../support/servers.ts";

const TTL = 600;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: RunningServer;
const clients: Redis[] = [];
const leases: NodeLeases[] = [];
/** Each node's own Redis connection (disconnecting it simulates a crash: no renewals, no cleanup). */
const connOf = new Map<NodeLeases, Redis>();
let prefixN = 0;

function client(url = server.url): Redis {
  const r = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  r.on("error", () => {}); // expected while a server is down
  clients.push(r);
  return r;
}

/** Nodes sharing a fresh key prefix (each test is its own "region"), each with its own connection. */
function nodes(...ids: string[]): NodeLeases[] {
  const prefix = `t${++prefixN}`;
  return ids.map((id) => make(id, prefix));
}
function make(id: string, prefix: string, url = server.url): NodeLeases {
  const r = client(url);
  const l = new NodeLeases(r, id, { ttlMs: TTL, prefix });
  connOf.set(l, r);
  leases.push(l);
  return l;
}

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  for (const l of leases) await l.stop().catch(() => {});
  for (const c of clients) c.disconnect();
  await server?.stop();
}, 30_000); // stopping a server may take its 5 s grace

describe("NodeLeases", () => {
  test("claim race: exactly one owner per id, every caller sees the same answer", async () => {
    const [a, b] = nodes("node-a", "node-b");
    await Promise.all([a!.start(), b!.start()]);
    const ids = Array.from({ length: 60 }, (_, i) => `c_race${i}xx`);
    const calls: Promise<[string, string]>[] = [];
    for (let round = 0; round < 3; round++)
      for (const id of ids) for (const n of [a!, b!]) calls.push(n.claim("conversation", id).then((o) => [id, o]));
    const byId = new Map<string, Set<string>>();
    for (const [id, o] of await Promise.all(calls)) byId.set(id, (byId.get(id) ?? new Set()).add(o));
    const winners = { "node-a": 0, "node-b": 0 } as Record<string, number>;
    for (const id of ids) {
      const seen = [...byId.get(id)!];
      expect(seen.length).toBe(1);
      expect(["node-a", "node-b"]).toContain(seen[0]!);
      winners[seen[0]!]!++;
      expect(await a!.owner("conversation", id)).toBe(seen[0]!);
      expect(await b!.owner("conversation", id)).toBe(seen[0]!);
    }
    expect(winners["node-a"]! + winners["node-b"]!).toBe(ids.length);
    // kinds are separate namespaces
    expect(await a!.owner("inbox", ids[0]!)).toBeNull();
  });

  test("alive() and owner() of an unclaimed actor", async () => {
    const [a] = nodes("node-a");
    expect(await a!.alive("node-a")).toBe(false);
    await a!.start();
    expect(await a!.alive("node-a")).toBe(true);
    expect(await a!.alive("node-zzz")).toBe(false);
    expect(await a!.owner("inbox", "u_nobody")).toBeNull();
  });

  test("release: only the owner can release; then a peer claims", async () => {
    const [a, b] = nodes("node-a", "node-b");
    await Promise.all([a!.start(), b!.start()]);
    expect(await a!.claim("inbox", "u_alice")).toBe("node-a");
    await b!.release("inbox", "u_alice"); // not b's: no effect
    expect(await b!.claim("inbox", "u_alice")).toBe("node-a");
    await a!.release("inbox", "u_alice");
    expect(await a!.owner("inbox", "u_alice")).toBeNull();
    expect(await b!.claim("inbox", "u_alice")).toBe("node-b");
    expect(await a!.claim("inbox", "u_alice")).toBe("node-b");
  });

  test("graceful stop(): peers may claim at once", async () => {
    const [a, b] = nodes("node-a", "node-b");
    await Promise.all([a!.start(), b!.start()]);
    expect(await a!.claim("conversation", "c_stopme1")).toBe("node-a");
    await a!.stop();
    expect(await b!.alive("node-a")).toBe(false);
    expect(await b!.owner("conversation", "c_stopme1")).toBeNull();
    expect(await b!.claim("conversation", "c_stopme1")).toBe("node-b");
    await expect(a!.claim("conversation", "c_other1")).rejects.toBeInstanceOf(LeaseLostError);
  });

  test("crash: the owner fences itself before its key expires; then the peer claims", async () => {
    const [a, b] = nodes("node-a", "node-b");
    await Promise.all([a!.start(), b!.start()]);
    let lostAt = 0;
    a!.onLost(() => (lostAt = Date.now()));
    expect(await a!.claim("conversation", "c_crash01")).toBe("node-a");
    const crashedAt = Date.now();
    connOf.get(a!)!.disconnect(); // a crashes: no more renewals, its key is left to expire
    expect(await b!.claim("conversation", "c_crash01")).toBe("node-a"); // still alive for now
    let takenAt = 0;
    while (!takenAt) {
      if ((await b!.claim("conversation", "c_crash01")) === "node-b") takenAt = Date.now();
      else await sleep(20);
      expect(Date.now() - crashedAt).toBeLessThan(3 * TTL);
    }
    expect(lostAt).toBeGreaterThan(0);
    expect(lostAt).toBeLessThanOrEqual(takenAt); // never two acting owners
    expect(takenAt - crashedAt).toBeLessThan(TTL + 300);
  });

  test("a node whose Redis connection dropped is listed by disconnected() and evicted at once; a reconnected one is not", async () => {
    const [a, b] = nodes("node-a", "node-b");
    await Promise.all([a!.start(), b!.start()]);
    expect(await a!.claim("conversation", "c_evict01")).toBe("node-a");
    expect(await b!.disconnected()).toEqual([]);
    // A blip: the connection breaks and comes back with a new client id, which the node records again.
    connOf.get(a!)!.disconnect(true);
    const blipDeadline = Date.now() + 5000;
    while ((connOf.get(a!)!.status !== "ready" || (await b!.disconnected()).length > 0) && Date.now() < blipDeadline) await sleep(20);
    expect(await b!.disconnected()).toEqual([]);
    expect(await b!.claim("conversation", "c_evict01")).toBe("node-a");

    const crashedAt = Date.now();
    connOf.get(a!)!.disconnect(); // a crashes: Redis drops its connection at once
    const gone = await b!.disconnected();
    expect(gone.map((d) => d.node)).toEqual(["node-a"]);
    expect(gone[0]!.incarnation).toBe(a!.incarnation);
    expect(await b!.evict(gone[0]!)).toBe(true);
    expect(await b!.evict(gone[0]!)).toBe(false); // once
    expect(await b!.claim("conversation", "c_evict01")).toBe("node-b");
    expect(Date.now() - crashedAt).toBeLessThan(TTL / 2); // not waiting for its key to expire
    expect(await b!.disconnected()).toEqual([]);
  });

  test("restart with the same nodeId: old ownership is not inherited, only re-claimed by the script", async () => {
    const prefix = `t${++prefixN}`;
    const mk = (id: string) => make(id, prefix);
    const a1 = mk("node-a");
    const b = mk("node-b");
    await Promise.all([a1.start(), b.start()]);
    expect(await a1.claim("inbox", "u_r1")).toBe("node-a");
    expect(await a1.claim("inbox", "u_r2")).toBe("node-a");
    connOf.get(a1)!.disconnect(); // a1 crashes
    const a2 = mk("node-a");
    expect(a2.incarnation).not.toBe(a1.incarnation);
    const t0 = Date.now();
    await a2.start(); // waits for a1's key to expire rather than take it over
    expect(Date.now() - t0).toBeGreaterThan(TTL / 3);
    expect(await b.alive("node-a")).toBe(true);
    // a1's owner values name node-a, but a dead incarnation: nobody owns these now
    expect(await b.owner("inbox", "u_r1")).toBeNull();
    expect(await a2.owner("inbox", "u_r1")).toBeNull();
    expect(await b.claim("inbox", "u_r1")).toBe("node-b");
    expect(await a2.claim("inbox", "u_r1")).toBe("node-b");
    expect(await a2.claim("inbox", "u_r2")).toBe("node-a"); // re-claimed under the new incarnation
    expect(await b.owner("inbox", "u_r2")).toBe("node-a");
  });

  test("a duplicate nodeId cannot start while the first is live; a taken key fences the holder", async () => {
    const [a1, a2] = nodes("node-a", "node-a");
    await a1!.start();
    let lost = false;
    a1!.onLost(() => (lost = true));
    await expect(a2!.start()).rejects.toThrow(/held by another live process/);
    expect(lost).toBe(false);
    // someone overwrites a1's liveness key (e.g. an operator, or a misconfigured twin): a1 fences itself
    await connOf.get(a2!)!.set(`t${prefixN}:node:node-a`, "someone-else", "PX", 5000);
    const t0 = Date.now();
    while (!lost && Date.now() - t0 < TTL) await sleep(10);
    expect(lost).toBe(true);
    await expect(a1!.claim("inbox", "u_x")).rejects.toBeInstanceOf(LeaseLostError);
  });

  test("onLost fires within ~ttl when Redis dies; claim refuses afterwards", async () => {
    const own = await startRedis();
    try {
      const l = make("node-solo", "solo", own.url);
      await l.start();
      expect(await l.claim("conversation", "c_solo01")).toBe("node-solo");
      let lostAt = 0;
      l.onLost(() => (lostAt = Date.now()));
      await sleep(TTL / 2); // a few renewals succeed first
      expect(lostAt).toBe(0);
      const killedAt = Date.now();
      await own.proc.kill();
      while (!lostAt && Date.now() - killedAt < 3 * TTL) await sleep(10);
      expect(lostAt).toBeGreaterThan(0);
      expect(lostAt - killedAt).toBeLessThanOrEqual(TTL);
      await expect(l.claim("conversation", "c_solo02")).rejects.toBeInstanceOf(LeaseLostError);
    } finally {
      await own.stop();
    }
  });
});
