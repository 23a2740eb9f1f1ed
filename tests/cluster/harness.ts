/**
 * A real local cluster for suites: per region one nats-server (JetStream; regions joined as a
 * supercluster by gateways) and one redis-server; one sqld for storage; Bun nodes as child
 * processes (`bun hosts/cluster/server.ts`), each killable (-9) and restartable with the
 * same node id. Everything on free loopback ports, stopped by PID.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { withBunRuntimeEnv } from "../../hosts/bun/runtimeEnv.mjs";
import { renderRegionConfig } from "../../infra/nats/render.mjs";
import { freePort, spawnLogged, tempDir, waitForHttp, type Spawned } from "../../scripts/lib/processes.mjs";
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
  sqld: RunningServer;
  /** Start one more node. */
  add(spec: NodeSpec): Promise<ClusterNode>;
  stop(): Promise<void>;
}

/**
 * One nats-server per region, each from infra/nats/region.conf; with more than one region they form
 * a supercluster (one-node clusters joined by gateways), a single region is a lone JetStream server.
 */
async function startRegions(regions: string[]): Promise<Record<string, RunningNats>> {
  const multi = regions.length > 1;
  const gwPorts: Record<string, number> = {};
  if (multi) for (const r of regions) gwPorts[r] = await freePort();
  const gateways = Object.fromEntries(regions.map((r) => [r, `nats://127.0.0.1:${gwPorts[r]}`]));
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
      ...(multi ? { clusterPort: "{cluster}", routes: ["nats-route://127.0.0.1:{cluster}"], gatewayPort: gwPorts[r]!, gateways } : {}),
    });
    out[r] = await startNats({ config, extraPorts: multi ? ["cluster"] : [] });
  }));
  return out;
}

export async function startCluster(specs: NodeSpec[], env: Record<string, string> = {}): Promise<LocalCluster> {
  const regions = [...new Set(specs.map((s) => s.region))];
  const [nats, sqld, redisList] = await Promise.all([startRegions(regions), startSqld(), Promise.all(regions.map(() => startRedis()))]);
  const redis = Object.fromEntries(regions.map((r, i) => [r, redisList[i]!]));
  // Attachments: one folder shared by every node (a shared volume, or R2/S3, in production).
  const dataDir = tempDir("nexus-cluster-");
  mkdirSync(join(dataDir, "attachments"), { recursive: true });
  const replicaDir = tempDir("nexus-replicas-");

  const nodes: Record<string, ClusterNode> = {};
  const add = async (spec: NodeSpec): Promise<ClusterNode> => {
    const port = await freePort();
    const nodeEnv = withBunRuntimeEnv({
      NODE_ENV: "test",
      AUTH_RATE_LIMIT_PER_MINUTE: "100000",
      RATE_LIMIT_PER_MINUTE: "100000",
      ...env,
      PORT: String(port),
      DATA_DIR: dataDir,
      JWT_SECRET: CLUSTER_SECRET,
      NATS_URL: nats[spec.region]!.url,
      REDIS_URL: redis[spec.region]!.url,
      LIBSQL_URL: sqld.url,
      // Each node's embedded replica on its own disk (history and replays read locally).
      LIBSQL_REPLICA_PATH: join(replicaDir, `${spec.id}.db`),
      NEXUS_REGION: spec.region,
      NEXUS_NODE_ID: spec.id,
      NEXUS_NODE_ROLE: spec.role ?? "all",
    });
    const launch = async () => {
      const proc = spawnLogged(BUN, ["hosts/cluster/server.ts"], { name: `node-${spec.id}`, cwd: ROOT, env: nodeEnv });
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
    add,
    async stop() {
      await Promise.all(Object.values(nodes).map((n) => n.proc.stop(5000)));
      await Promise.all([...Object.values(nats), ...Object.values(redis), sqld].map((s) => s.stop()));
    },
  };
}

/** A node's own count of a Prometheus gauge (e.g. nexus_cluster_owned_actors). */
export async function gauge(node: ClusterNode, name: string): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(name + " ") || l.startsWith(name + "{"));
  return line ? Number(line.split(" ").pop()) : NaN;
}
