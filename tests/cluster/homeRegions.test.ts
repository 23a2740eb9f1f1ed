/**
 * HomeRegions on a real two-region NATS supercluster: two nats-server processes, each a one-node
 * cluster with JetStream, joined by gateways. Concurrent first lookups from both regions must agree.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { HomeRegions, placementKey } from "../../hosts/cluster/homeRegions.ts";
import { freePort } from "../../scripts/lib/processes.mjs";
import { startNats, type RunningNats } from "../support/servers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One region = a one-node cluster (2.9 wants a route to its own cluster port for clustered
 * JetStream) with a gateway to the other region. Gateway ports are chosen up front so each config
 * names both; the servers start together since neither is healthy before the meta leader is elected.
 */
function regionConfig(name: string, gateways: Record<string, number>): string {
  const list = Object.entries(gateways).map(([n, p]) => `{ name: "${n}", url: "nats://127.0.0.1:${p}" }`);
  return `
server_name: "${name}-1"
listen: "127.0.0.1:{port}"
http: "127.0.0.1:{monitor}"
jetstream { store_dir: "{dir}" }
cluster {
  name: "${name}"
  listen: "127.0.0.1:{cluster}"
  routes: ["nats-route://127.0.0.1:{cluster}"]
}
gateway {
  name: "${name}"
  listen: "127.0.0.1:${gateways[name]}"
  gateways: [${list.join(", ")}]
}
`;
}

let east: RunningNats;
let west: RunningNats;
const conns: NatsConnection[] = [];

async function conn(server: RunningNats): Promise<NatsConnection> {
  const nc = await connect({ servers: server.url, name: `test-${server.port}` });
  conns.push(nc);
  return nc;
}

/** Waits until JetStream answers from both sides (meta leader elected across the gateway). */
async function jetstreamReady(nc: NatsConnection): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    try {
      const jsm = await jetstreamManager(nc, { timeout: 2000 });
      await jsm.getAccountInfo();
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      await sleep(200);
    }
  }
}

beforeAll(async () => {
  const gateways = { east: await freePort(), west: await freePort() };
  const started = await Promise.allSettled(
    (["east", "west"] as const).map((name) => startNats({ config: regionConfig(name, gateways), extraPorts: ["cluster"] })),
  );
  // keep whichever started, so afterAll stops it even when the other failed
  if (started[0]!.status === "fulfilled") east = started[0]!.value;
  if (started[1]!.status === "fulfilled") west = started[1]!.value;
  for (const s of started) if (s.status === "rejected") throw s.reason;
  await Promise.all([jetstreamReady(await conn(east)), jetstreamReady(await conn(west))]);
}, 60_000);

afterAll(async () => {
  for (const nc of conns) await nc.close().catch(() => {});
  await west?.stop();
  await east?.stop();
}, 30_000); // stopping a server may take its 5 s grace

describe("placementKey", () => {
  test("ids of the usual shapes pass through; anything else is escaped one-to-one", () => {
    expect(placementKey("conversation", "c_Ab-9_xyz")).toBe("conversation.c_Ab-9_xyz");
    expect(placementKey("inbox", "u_QmFzZTY0dXJs-_")).toBe("inbox.u_QmFzZTY0dXJs-_");
    expect(placementKey("inbox", "a.b c")).toBe("inbox.a=2Eb=20c");
    expect(placementKey("inbox", "=2E")).toBe("inbox.=3D2E");
    expect(placementKey("inbox", "é")).toBe("inbox.=C3=A9");
    expect(placementKey("inbox", "a.b")).not.toBe(placementKey("inbox", "a=2Eb"));
  });
});

describe("HomeRegions across a two-region supercluster", () => {
  let nodes: HomeRegions[];

  test("several nodes of both regions open (and create) the bucket at once", async () => {
    nodes = await Promise.all([
      HomeRegions.open(await conn(east), "east"),
      HomeRegions.open(await conn(east), "east"),
      HomeRegions.open(await conn(west), "west"),
      HomeRegions.open(await conn(west), "west"),
    ]);
    expect(nodes.map((n) => n.region)).toEqual(["east", "east", "west", "west"]);
  }, 30_000);

  test("concurrent first lookups from both regions agree for every id", async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `c_conc${i}abc`);
    const users = ["u_plain123", "weird user", "dots.and/slash", "ünï", "=3D"];
    const asks: Promise<[string, string]>[] = [];
    // every id asked by all four nodes, a different node first each time
    ids.forEach((id, i) => {
      for (let k = 0; k < nodes.length; k++)
        asks.push(nodes[(i + k) % nodes.length]!.regionOf("conversation", id).then((r) => [`c:${id}`, r]));
    });
    users.forEach((id, i) => {
      for (let k = 0; k < nodes.length; k++)
        asks.push(nodes[(i + k) % nodes.length]!.regionOf("inbox", id).then((r) => [`i:${id}`, r]));
    });
    const seen = new Map<string, Set<string>>();
    for (const [k, r] of await Promise.all(asks)) seen.set(k, (seen.get(k) ?? new Set()).add(r));
    expect(seen.size).toBe(ids.length + users.length);
    const wins: Record<string, number> = {};
    for (const rs of seen.values()) {
      expect(rs.size).toBe(1);
      wins[[...rs][0]!] = (wins[[...rs][0]!] ?? 0) + 1;
      expect(["east", "west"]).toContain([...rs][0]!);
    }
    console.log(`home regions won: ${JSON.stringify(wins)}`);
    // a node that never asked reads the same stored answers
    const late = await HomeRegions.open(await conn(west), "west");
    for (const id of ids) expect(await late.regionOf("conversation", id)).toBe([...seen.get(`c:${id}`)!][0]!);
    for (const id of users) expect(await late.regionOf("inbox", id)).toBe([...seen.get(`i:${id}`)!][0]!);
  }, 30_000);

  test("the first region to ask becomes home; later askers elsewhere get it", async () => {
    const [e1, , w1, w2] = nodes;
    expect(await e1!.regionOf("conversation", "c_eastfirst")).toBe("east");
    expect(await w1!.regionOf("conversation", "c_eastfirst")).toBe("east");
    expect(await w2!.regionOf("inbox", "u_westfirst")).toBe("west");
    expect(await e1!.regionOf("inbox", "u_westfirst")).toBe("west");
    expect(await e1!.regionOf("conversation", "c_westfirst")).toBe("east"); // kinds are separate
  });

  test("answers are cached (a later change in the bucket is not re-read) and the cache is bounded", async () => {
    const [e1] = nodes;
    expect(await e1!.regionOf("conversation", "c_cached01")).toBe("east");
    const kv = await new Kvm(await conn(west)).open("nexus_placement");
    await kv.put(placementKey("conversation", "c_cached01"), "mars"); // never done in production
    expect(await e1!.regionOf("conversation", "c_cached01")).toBe("east");
    const fresh = await HomeRegions.open(await conn(west), "west");
    expect(await fresh.regionOf("conversation", "c_cached01")).toBe("mars");

    const small = await HomeRegions.open(await conn(east), "east", { maxCached: 5 });
    for (let i = 0; i < 12; i++) await small.regionOf("conversation", `c_bounded${i}`);
    expect(small.cachedCount).toBe(5);
    expect(await small.regionOf("conversation", "c_bounded0")).toBe("east"); // evicted, read again
  });

  test("a custom bucket is created on first open", async () => {
    const hr = await HomeRegions.open(await conn(west), "west", { bucket: "nexus_placement_alt" });
    expect(await hr.regionOf("inbox", "u_alt12345")).toBe("west");
    const other = await HomeRegions.open(await conn(east), "east", { bucket: "nexus_placement_alt" });
    expect(await other.regionOf("inbox", "u_alt12345")).toBe("west");
  });
});
