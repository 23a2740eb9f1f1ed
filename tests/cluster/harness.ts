/**
 * A real local cluster for suites: per region one nats-server (JetStream; regions joined as a
 * supercluster by gateways), one redis-server and one sqld (the region's primary: conversations and
 * inboxes homed there; the first region's also holds the accounts); Bun nodes as child processes
 * (`bun hosts/cluster/server.ts`), each killable (-9) and restartable with the same node id.
 * With `wanMs`, every cross-region link (NATS gateways, the accounts server seen from other regions)
 * goes through a delaying proxy (scripts/lib/wanProxy.mjs). Everything on free loopback ports.
 */
import { mkdirSync } from "node:fs";
import { createClient } from "@libsql/client";
import { join, resolve } from "node:path";
import { withBunRuntimeEnv } from "../../hosts/bun/runtimeEnv.mjs";
import { renderRegionConfig } from "../../infra/nats/render.mjs";
import { freePort, spawnLogged, tempDir, waitForHttp, type Spawned } from "../../scripts/lib/processes.mjs";
import { startWanProxy, type WanProxy } from "../../scripts/lib/wanProxy.mjs";
import { startNats, startRedis, startSqld, type RunningNats, type RunningServer } from "../support/servers.ts";

const ROOT = resolve(import.meta.dir, "../..");
const BUN = resolve(ROOT, "node_modules/.bin/bun");
export const CLUSTER_SECRET = "cluster-test-secret-0123456789abcdef0123456789";

export interface NodeSpec {
  id: string;
  region: string;
  role?: "all" | "edge";
}

export interface ClusterNode extends NodeSpec {
  url: string;
  port: number;
  proc: Spawned;
  /** kill -9 (a crash). */
  kill(): Promise<void>;
  /** SIGTERM (a graceful stop). */
  stop(): Promise<void>;
  /** Start again with the same id and port (a new incarnation). */
  start(): Promise<void>;
}

export interface LocalCluster {
  nodes: Record<string, ClusterNode>;
  nats: Record<string, RunningNats>;
  redis: Record<string, RunningServer>;
  /** The accounts' home: the first region's sqld, or one of their own (`accountsServerOfTheirOwn`). */
  sqld: RunningServer;
  /** Each region's primary, by region. */
  sqlds: Record<string, RunningServer>;
  /** The delaying proxy in front of each region's NATS gateway (with `wanMs`): pause() partitions
   *  the region (nobody can dial its gateway; its own outbound links stay). */
  gateways: Record<string, WanProxy>;
  /** Start one more node. */
  add(spec: NodeSpec): Promise<ClusterNode>;
  stop(): Promise<void>;
}

/**
 * One nats-server per region, each from infra/nats/region.conf; with more than one region they form
 * a supercluster (one-node clusters joined by gateways), a single region is a lone JetStream server.
 */
async function startRegions(regions: string[], wanMs: number, proxies: WanProxy[], gatewayProxies: Record<string, WanProxy>): Promise<Record<string, RunningNats>> {
  const multi = regions.length > 1;
  const gwPorts: Record<string, number> = {};
  /** What other regions dial: the gateway itself, or a delaying proxy in front of it. */
  const dialPorts: Record<string, number> = {};
  if (multi)
    for (const r of regions) {
      gwPorts[r] = await freePort();
      if (wanMs > 0) {
        const proxy = await startWanProxy({ target: { port: gwPorts[r]! }, delayMs: wanMs });
        proxies.push(proxy);
        gatewayProxies[r] = proxy;
        dialPorts[r] = proxy.port;
      } else dialPorts[r] = gwPorts[r]!;
    }
  const gateways = Object.fromEntries(regions.map((r) => [r, `nats://127.0.0.1:${dialPorts[r]}`]));
  const out: Record<string, RunningNats> = {};
  // Together: in a supercluster no server is healthy before the JetStream meta leader is elected.
  await Promise.all(regions.map(async (r) => {
    // `{port}`, `{monitor}`, `{dir}`, `{cluster}` are filled in by startNats with its free ports.
    // nats-server 2.9 with JetStream on a one-node cluster needs a route to its own cluster port.
    const config = renderRegionConfig({
      region: r,
      port: "{port}",
      monitorPort: "{monitor}",
      storeDir: "{dir}/js",
      ...(multi
        ? { clusterPort: "{cluster}", routes: ["nats-route://127.0.0.1:{cluster}"], gatewayPort: gwPorts[r]!, gateways,
            gatewayAdvertise: wanMs > 0 ? `127.0.0.1:${dialPorts[r]}` : undefined }
        : {}),
    });
    out[r] = await startNats({ config, extraPorts: multi ? ["cluster"] : [] });
  }));
  return out;
}

export interface ClusterOptions {
  /** One-way delay injected on every cross-region link, ms (0: none). */
  wanMs?: number;
  /** A DATA_DIR of its own for each node (attachments then need BLOB_STORE=s3); default one shared. */
  dataDirPerNode?: boolean;
  /** Give every node the other regions' primaries (NEXUS_REGION_LIBSQL_URLS, across the WAN
   *  proxy): far replicas for history homed elsewhere (hosts/cluster/farHistory.ts). */
  farReplicas?: boolean;
  /** The accounts on a libSQL server of their own in the first region, as docs/cluster.md tells
   *  production to run them, instead of on that region's primary: another region's accounts replica
   *  then pulls account pages only, not every page of the region's conversations (the bench). */
  accountsServerOfTheirOwn?: boolean;
}

export async function startCluster(specs: NodeSpec[], env: Record<string, string> = {}, opts: ClusterOptions = {}): Promise<LocalCluster> {
  const regions = [...new Set(specs.map((s) => s.region))];
  const wanMs = opts.wanMs ?? 0;
  const proxies: WanProxy[] = [];
  const gateways: Record<string, WanProxy> = {};
  const [nats, sqldList, redisList, accountsOwn] = await Promise.all([
    startRegions(regions, wanMs, proxies, gateways),
    Promise.all(regions.map(() => startSqld())),
    Promise.all(regions.map(() => startRedis())),
    opts.accountsServerOfTheirOwn ? startSqld() : null,
  ]);
  const redis = Object.fromEntries(regions.map((r, i) => [r, redisList[i]!]));
  const sqlds = Object.fromEntries(regions.map((r, i) => [r, sqldList[i]!]));
  const accountsRegion = regions[0]!;
  const sqld = accountsOwn ?? sqlds[accountsRegion]!;
  // Other regions reach the accounts' home across the WAN.
  const accountsFar = wanMs > 0 ? await startWanProxy({ target: { port: sqld.port }, delayMs: wanMs }) : null;
  if (accountsFar) proxies.push(accountsFar);
  // Attachments: one folder shared by every node (a shared volume, or R2/S3, in production).
  const dataDir = tempDir("nexus-cluster-");
  mkdirSync(join(dataDir, "attachments"), { recursive: true });
  const replicaDir = tempDir("nexus-replicas-");
  // Each region's primary as other regions reach it (through the WAN proxy when there is one).
  const farUrls: Record<string, string> = {};
  if (opts.farReplicas)
    for (const r of regions) {
      const shared = r === accountsRegion && !accountsOwn; // the region's primary is the accounts' home
      const far = shared ? accountsFar : wanMs > 0 ? await startWanProxy({ target: { port: sqlds[r]!.port }, delayMs: wanMs }) : null;
      if (far && !shared) proxies.push(far);
      farUrls[r] = far ? `http://127.0.0.1:${far.port}` : sqlds[r]!.url;
    }

  const nodes: Record<string, ClusterNode> = {};
  const add = async (spec: NodeSpec): Promise<ClusterNode> => {
    const port = await freePort();
    const nodeEnv = withBunRuntimeEnv({
      NODE_ENV: "test",
      AUTH_RATE_LIMIT_PER_MINUTE: "100000",
      RATE_LIMIT_PER_MINUTE: "100000",
      ...env,
      PORT: String(port),
      DATA_DIR: opts.dataDirPerNode ? tempDir(`nexus-${spec.id}-`) : dataDir,
      JWT_SECRET: CLUSTER_SECRET,
      NATS_URL: nats[spec.region]!.url,
      REDIS_URL: redis[spec.region]!.url,
      LIBSQL_URL: sqlds[spec.region]!.url,
      ACCOUNTS_LIBSQL_URL: spec.region === accountsRegion || !accountsFar ? sqld.url : `http://127.0.0.1:${accountsFar.port}`,
      // Each node's embedded replica on its own disk (history and replays read locally).
      LIBSQL_REPLICA_PATH: join(replicaDir, `${spec.id}.db`),
      NEXUS_REGION: spec.region,
      ...(opts.farReplicas
        ? { NEXUS_REGION_LIBSQL_URLS: Object.entries(farUrls).filter(([r]) => r !== spec.region).map(([r, u]) => `${r}=${u}`).join(",") }
        : {}),
      NEXUS_NODE_ID: spec.id,
      NEXUS_NODE_ROLE: spec.role ?? "all",
    });
    const launch = async () => {
      // BENCH_CLUSTER_CPU_PROF=<dir>: each node writes a CPU profile to <dir>/<node id> when it stops
      // (as BENCH_NEXUS_CPU_PROF for the single node; Bun's profiler samples wall time, see bench/README.md).
      const prof = process.env.BENCH_CLUSTER_CPU_PROF;
      const profArgs = prof ? ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${join(prof, spec.id)}`] : [];
      const proc = spawnLogged(BUN, [...profArgs, "hosts/cluster/server.ts"], { name: `node-${spec.id}`, cwd: ROOT, env: nodeEnv });
      // Readable at once (a test waiting for a line of a node still starting reads the new log).
      if (nodes[spec.id]) nodes[spec.id]!.proc = proc;
      await waitForHttp(`http://127.0.0.1:${port}/health`, { proc, timeoutMs: 30_000 });
      return proc;
    };
    const node: ClusterNode = {
      ...spec,
      port,
      url: `http://127.0.0.1:${port}`,
      proc: await launch(),
      async kill() {
        await node.proc.kill();
      },
      async stop() {
        await node.proc.stop(10_000);
      },
      async start() {
        node.proc = await launch();
      },
    };
    nodes[spec.id] = node;
    return node;
  };
  for (const spec of specs) await add(spec);

  return {
    nodes,
    nats,
    redis,
    sqld,
    sqlds,
    gateways,
    add,
    async stop() {
      await Promise.all(Object.values(nodes).map((n) => n.proc.stop(5000)));
      await Promise.all([...Object.values(nats), ...Object.values(redis), ...Object.values(sqlds), ...(accountsOwn ? [accountsOwn] : [])].map((s) => s.stop()));
      await Promise.all(proxies.map((p) => p.close()));
    },
  };
}

/** A node's own count of a Prometheus gauge (e.g. nexus_cluster_owned_actors). */
export async function gauge(node: ClusterNode, name: string): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(name + " ") || l.startsWith(name + "{"));
  return line ? Number(line.split(" ").pop()) : NaN;
}

/** Rows of a query run straight on a region's primary (what a move left where); none when the
 *  table was never made there. */
export async function regionRows(cl: LocalCluster, region: string, sql: string, args: (string | number)[] = []): Promise<Record<string, unknown>[]> {
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
