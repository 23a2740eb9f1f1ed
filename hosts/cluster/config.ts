/**
 * A cluster node's own settings (docs/cluster.md): the NATS, Redis and libSQL servers it uses, its
 * region, id and role. Read from the environment like the app's settings (edge/config.ts), with
 * errors naming the variable; on top of the Bun host's (hosts/bun/config.ts).
 */
import { z } from "zod";
import { ConfigError, list, parseEnv } from "../../edge/config.ts";

const libsqlUrl = (name: string) => z.string().regex(/^(https?|libsql|wss?):\/\/[^\s]+$/, `${name} must be a libSQL server's http(s):// URL`);

/** Env variable → setting; keys are the variable names so issues name them. */
const ClusterEnvSchema = z.object({
  /** Set NATS_URL and the node joins a cluster instead of running alone. */
  NATS_URL: list.pipe(z.array(z.string().regex(/^(nats|tls):\/\/[^\s]+$/, "NATS_URL: comma-separated nats://host:port URLs"))),
  REDIS_URL: z.string().regex(/^rediss?:\/\/[^\s]+$/, "REDIS_URL must look like redis://host:port").optional(),
  LIBSQL_URL: libsqlUrl("LIBSQL_URL").optional(),
  LIBSQL_AUTH_TOKEN: z.string().optional(),
  /** The libSQL server holding accounts (one home for the whole cluster); unset = LIBSQL_URL.
   *  LIBSQL_URL is then this region's primary, holding the conversations and inboxes homed here. */
  ACCOUNTS_LIBSQL_URL: libsqlUrl("ACCOUNTS_LIBSQL_URL").optional(),
  /** A local file for this node's embedded replica of the libSQL server (history reads stay local). */
  LIBSQL_REPLICA_PATH: z.string().min(1).optional(),
  /** Other regions' primaries as reachable from this node, `b=http://host:port,c=…`: the node keeps
   *  a replica of each it reads history of (storage/farReplicas.ts says why a map, not discovery). */
  NEXUS_REGION_LIBSQL_URLS: list.pipe(z.array(z.string().regex(/^[a-z0-9-]{1,32}=(https?|libsql|wss?):\/\/[^\s,]+$/,
    "NEXUS_REGION_LIBSQL_URLS: comma-separated region=http(s)://host:port pairs"))),
  NEXUS_REGION: z.string().regex(/^[a-z0-9-]{1,32}$/, "NEXUS_REGION: 1-32 chars of [a-z0-9-]").default("local"),
  NEXUS_NODE_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "NEXUS_NODE_ID: 1-64 chars of [A-Za-z0-9_-]").optional(),
  /** "all": edge and actors; "edge": serves clients, never owns actors (an edge tier). */
  NEXUS_NODE_ROLE: z.enum(["all", "edge"]).default("all"),
  /** Liveness lease: a crashed owner's actors move after at most this long. */
  NEXUS_LEASE_TTL_MS: z.coerce.number().int().min(600).max(60_000).default(1500),
  /** Tests only: after losing its lease a node keeps running this long before it exits (default 0),
   *  so a test can show that storage refuses a stale owner's commits by itself (ownerFence.ts). */
  NEXUS_LEASE_LOSS_EXIT_DELAY_MS: z.coerce.number().int().min(0).max(10_000).default(0),
  /** Tests only: the node's replicas (its region's and the accounts') start their first sync this
   *  much later (default 0), so a test can read through a node whose replicas are still opening. */
  NEXUS_REPLICA_OPEN_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /** Automatic moves (movePolicy.ts): how often the owner looks at where a conversation's writes
   *  (or an inbox user's sockets) come from, ms (default 10 s: with the defaults below a
   *  conversation moves after ~30 s of traffic mostly from one other region, an inbox after ~80 s
   *  of its user connected only through one); 0 turns automatic moves off for both (an admin can
   *  always move a home). docs/cluster.md "Moves". */
  NEXUS_MOVE_CHECK_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
  /** Consecutive checks another region must dominate before the conversation or inbox moves there. */
  NEXUS_MOVE_SUSTAINED_CHECKS: z.coerce.number().int().min(1).max(1000).default(3),
  /** Fewest socket writes in the last six checks for a conversation to be considered at all; an
   *  inbox counts each open socket as a sixth of this per check (automaticMoves.ts). */
  NEXUS_MOVE_MIN_WRITES: z.coerce.number().int().min(1).max(1_000_000).default(30),
  /** After a move, no automatic move of the same conversation or inbox for this long, ms (hysteresis). */
  NEXUS_MOVE_COOLDOWN_MS: z.coerce.number().int().min(0).max(86_400_000).default(600_000),
  /** Subject prefix on the bus, so two clusters can share one NATS. */
  NEXUS_CLUSTER_NAME: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, "NEXUS_CLUSTER_NAME: 1-32 chars of [A-Za-z0-9_-]").default("nexus"),
});

export interface ClusterConfig {
  natsUrls: string[];
  redisUrl: string;
  libsqlUrl: string;
  libsqlAuthToken?: string;
  /** The accounts' libSQL server (LIBSQL_URL when one server holds everything). */
  accountsLibsqlUrl: string;
  /** Embedded replica file (local disk, one per node); unset: every read goes to the server. */
  libsqlReplicaPath?: string;
  /** Other regions' primaries (region → URL; never this region), for far replicas. */
  regionLibsqlUrls: Map<string, string>;
  region: string;
  /** Unique in the cluster; a restarted node may reuse it (its incarnation changes). */
  nodeId: string;
  role: "all" | "edge";
  name: string;
  /** Liveness lease TTL in Redis; heartbeats and "gone" detection on the bus scale with it. */
  leaseTtlMs: number;
  /** Tests only: see NEXUS_LEASE_LOSS_EXIT_DELAY_MS. */
  leaseLossExitDelayMs: number;
  /** Tests only: see NEXUS_REPLICA_OPEN_DELAY_MS. */
  replicaOpenDelayMs: number;
  /** Automatic moves of conversations toward their writers and inboxes toward their users (movePolicy.ts). */
  movePolicy: { checkMs: number; sustainedChecks: number; minWrites: number; cooldownMs: number };
}

/** The cluster settings, or undefined when NATS_URL is unset (not a cluster node). `node` is what
 *  the rest of the configuration says: the port names a node by default, and every node must share
 *  one JWT secret (a generated one would differ per node). */
export function loadClusterConfig(env: Record<string, string | undefined>, node: { port: number; jwtSecret: string }): ClusterConfig | undefined {
  const e = parseEnv(ClusterEnvSchema, env);
  if (e.NATS_URL.length === 0) return undefined;
  const missing = [
    !e.REDIS_URL && "REDIS_URL (this region's Redis: leases, rate limits)",
    !e.LIBSQL_URL && "LIBSQL_URL (this region's libSQL server)",
    !node.jwtSecret && "JWT_SECRET (the same on every node)",
    e.NEXUS_REGION_LIBSQL_URLS.length > 0 && !e.LIBSQL_REPLICA_PATH && "LIBSQL_REPLICA_PATH (NEXUS_REGION_LIBSQL_URLS: far replicas are kept beside it)",
  ].filter(Boolean);
  if (missing.length > 0) throw new ConfigError(`Invalid configuration: cluster mode (NATS_URL is set) also needs ${missing.join(", ")}`);
  return {
    natsUrls: e.NATS_URL,
    redisUrl: e.REDIS_URL!,
    libsqlUrl: e.LIBSQL_URL!,
    libsqlAuthToken: e.LIBSQL_AUTH_TOKEN,
    accountsLibsqlUrl: e.ACCOUNTS_LIBSQL_URL ?? e.LIBSQL_URL!,
    libsqlReplicaPath: e.LIBSQL_REPLICA_PATH,
    regionLibsqlUrls: new Map(e.NEXUS_REGION_LIBSQL_URLS.map((pair) => pair.split(/=(.*)/s, 2) as [string, string])
      .filter(([region]) => region !== e.NEXUS_REGION)),
    region: e.NEXUS_REGION,
    nodeId: e.NEXUS_NODE_ID ?? `${(env.HOSTNAME ?? "node").replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 40)}-${node.port}`,
    role: e.NEXUS_NODE_ROLE,
    name: e.NEXUS_CLUSTER_NAME,
    leaseTtlMs: e.NEXUS_LEASE_TTL_MS,
    leaseLossExitDelayMs: e.NEXUS_LEASE_LOSS_EXIT_DELAY_MS,
    replicaOpenDelayMs: e.NEXUS_REPLICA_OPEN_DELAY_MS,
    movePolicy: { checkMs: e.NEXUS_MOVE_CHECK_MS, sustainedChecks: e.NEXUS_MOVE_SUSTAINED_CHECKS, minWrites: e.NEXUS_MOVE_MIN_WRITES,
      cooldownMs: e.NEXUS_MOVE_COOLDOWN_MS },
  };
}
