/**
 * Edge configuration from environment variables, validated with zod. Every error names the
 * variable it came from, so a misconfigured deployment fails at start with a readable message.
 */
import { z } from "zod";
import { LimitsSchema, type Limits } from "../protocol/limits.ts";

const list = z
  .string()
  .optional()
  .transform((s) => (s ?? "").split(",").map((x) => x.trim()).filter(Boolean));
const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);
const bool = (def: boolean) =>
  z
    .enum(["1", "0", "true", "false", "yes", "no", ""])
    .optional()
    .transform((v) => (v === undefined || v === "" ? def : v === "1" || v === "true" || v === "yes"));

/**
 * Group-commit spacing by mode, ms. One node: a local file, whose commit costs an fsync; 2 ms cut
 * the server's CPU by 15-20% under load for 1-2 ms of p50 (libsqlSql.ts). Cluster: every node's
 * commits are HTTP transactions on the one libSQL server, ~1 ms of its CPU each whatever their size
 * (bench/README.md). At 20k deliveries/s on the 2-core bench box, 10 ms instead of 2 took sqld from
 * 62% to 41% of a core and the cluster from 133% to 102%, and p99 fell (82 -> 41 ms: less queueing
 * for CPU) while p50 rose 8.6 -> 12.7 ms. A send after a quiet moment is not delayed either way.
 */
export const COMMIT_INTERVAL_DEFAULTS = { single: 2, cluster: 10 } as const;

/** Env variable → config field. Keys are the variable names so issues name them. */
const EnvSchema = z.object({
  PORT: int(8787, 0, 65535),
  DATA_DIR: z.string().min(1).default("./data"),
  /** Empty means "the host fills it": the Bun host generates one and persists it in DATA_DIR. */
  JWT_SECRET: z.string().min(32, "JWT_SECRET must be at least 32 characters").optional(),
  ACCESS_TTL_SECONDS: int(900, 30, 86_400),
  REFRESH_TTL_SECONDS: int(30 * 86_400, 60, 365 * 86_400),
  LOCKOUT_MINUTES: int(15, 1, 525_600),
  ADMIN_USERNAMES: list,
  CORS_ORIGINS: list.pipe(z.array(z.url("CORS_ORIGINS: each entry must be an origin like https://chat.example.com"))),
  RATE_LIMIT_PER_MINUTE: int(600, 1),
  AUTH_RATE_LIMIT_PER_MINUTE: int(30, 1),
  BODY_LIMIT_BYTES: int(64 * 1024, 256, 16 * 1024 * 1024),
  TURN_URLS: list,
  TURN_SECRET: z.string().optional(),
  TURN_TTL_SECONDS: int(3600, 60, 86_400 * 7),
  /** Header carrying the client IP set by a trusted proxy (e.g. x-forwarded-for). Unset = don't trust headers. */
  TRUSTED_IP_HEADER: z.string().trim().toLowerCase().optional(),
  /** How long verifyAccess may trust a cached token_version (lock takes effect within this). */
  AUTH_CACHE_MS: int(5000, 0, 60_000),
  /** Bearer token for GET /metrics. Unset: /metrics answers loopback clients only (edge/routes/health.ts). */
  METRICS_TOKEN: z.string().min(16, "METRICS_TOKEN must be at least 16 characters").optional(),
  /** Force HSTS even when the request does not look like https (behind a TLS-terminating proxy). */
  HSTS: bool(false),
  /** Bun host storage: "full" fsyncs every commit (survives power loss); "normal" survives a process crash only. */
  NEXUS_SYNC: z.enum(["full", "normal"]).default("full"),
  /** Bun host storage: at most one group commit starts per this many ms (0 = as soon as the last
   *  ends). Default 2 on one node; 10 in cluster mode, where each transaction costs the shared libSQL
   *  server ~1 ms of CPU (see COMMIT_INTERVAL_DEFAULTS). */
  NEXUS_COMMIT_INTERVAL_MS: z.coerce.number().int().min(0).max(100).optional(),
  /** Cluster mode (docs/cluster.md): set NATS_URL and the node joins a cluster instead of running alone. */
  NATS_URL: list.pipe(z.array(z.string().regex(/^(nats|tls):\/\/[^\s]+$/, "NATS_URL: comma-separated nats://host:port URLs"))),
  REDIS_URL: z.string().regex(/^rediss?:\/\/[^\s]+$/, "REDIS_URL must look like redis://host:port").optional(),
  LIBSQL_URL: z.string().regex(/^(https?|libsql|wss?):\/\/[^\s]+$/, "LIBSQL_URL must be the libSQL server's http(s):// URL").optional(),
  LIBSQL_AUTH_TOKEN: z.string().optional(),
  /** Cluster mode: the libSQL server holding accounts (one home for the whole cluster); unset = LIBSQL_URL.
   *  LIBSQL_URL is then this region's primary, holding the conversations and inboxes homed here. */
  ACCOUNTS_LIBSQL_URL: z.string().regex(/^(https?|libsql|wss?):\/\/[^\s]+$/, "ACCOUNTS_LIBSQL_URL must be a libSQL server's http(s):// URL").optional(),
  /** A local file for this node's embedded replica of the libSQL server (history reads stay local). */
  LIBSQL_REPLICA_PATH: z.string().min(1).optional(),
  NEXUS_REGION: z.string().regex(/^[a-z0-9-]{1,32}$/, "NEXUS_REGION: 1-32 chars of [a-z0-9-]").default("local"),
  NEXUS_NODE_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "NEXUS_NODE_ID: 1-64 chars of [A-Za-z0-9_-]").optional(),
  /** "all": edge and actors; "edge": serves clients, never owns actors (an edge tier). */
  NEXUS_NODE_ROLE: z.enum(["all", "edge"]).default("all"),
  /** Cluster liveness lease (docs/cluster.md): a crashed owner's actors move after at most this long. */
  NEXUS_LEASE_TTL_MS: z.coerce.number().int().min(600).max(60_000).default(1500),
  /** Subject prefix on the bus, so two clusters can share one NATS. */
  NEXUS_CLUSTER_NAME: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, "NEXUS_CLUSTER_NAME: 1-32 chars of [A-Za-z0-9_-]").default("nexus"),
  /** Attachment bytes one user may upload per rolling hour (429 + Retry-After beyond). */
  UPLOAD_BYTES_PER_HOUR: int(256 * 1024 * 1024, 1),
  /** An upload no message references within this many seconds is deleted (and can no longer be sent). */
  ATTACHMENT_UNREFERENCED_TTL_SECONDS: int(86_400, 1, 30 * 86_400),
  /** How often the Bun host sweeps unreferenced uploads and orphaned bytes. */
  ATTACHMENT_SWEEP_INTERVAL_SECONDS: int(3600, 1, 86_400),
  NEXUS_MAX_TEXT_LENGTH: z.coerce.number().optional(),
  NEXUS_MAX_FRAME_BYTES: z.coerce.number().optional(),
  NEXUS_SENDS_PER_SECOND: z.coerce.number().optional(),
  NEXUS_MAX_SOCKET_BUFFER_BYTES: z.coerce.number().optional(),
  NEXUS_REPLAY_CAP: z.coerce.number().optional(),
  NEXUS_TYPING_TTL_MS: z.coerce.number().optional(),
  NEXUS_MAX_ATTACHMENTS_PER_MESSAGE: z.coerce.number().optional(),
  NEXUS_MAX_ATTACHMENT_BYTES: z.coerce.number().optional(),
  NEXUS_MAX_GROUP_MEMBERS: z.coerce.number().optional(),
  NEXUS_HISTORY_PER_SECOND: z.coerce.number().optional(),
  NEXUS_TYPING_PER_SECOND: z.coerce.number().optional(),
  NEXUS_PRESENCE_PER_SECOND: z.coerce.number().optional(),
  NEXUS_MAX_SOCKETS_PER_USER: z.coerce.number().optional(),
});

/** Limits field → env variable, so a LimitsSchema issue can name the variable. */
/** The environment variable of each limit (protocol/limits.ts). */
export const LIMIT_VARS: Record<keyof Limits, keyof z.infer<typeof EnvSchema>> = {
  maxTextLength: "NEXUS_MAX_TEXT_LENGTH",
  maxFrameBytes: "NEXUS_MAX_FRAME_BYTES",
  sendsPerSecond: "NEXUS_SENDS_PER_SECOND",
  maxSocketBufferBytes: "NEXUS_MAX_SOCKET_BUFFER_BYTES",
  replayCap: "NEXUS_REPLAY_CAP",
  typingTtlMs: "NEXUS_TYPING_TTL_MS",
  maxAttachmentsPerMessage: "NEXUS_MAX_ATTACHMENTS_PER_MESSAGE",
  maxAttachmentBytes: "NEXUS_MAX_ATTACHMENT_BYTES",
  maxGroupMembers: "NEXUS_MAX_GROUP_MEMBERS",
  historyPerSecond: "NEXUS_HISTORY_PER_SECOND",
  typingPerSecond: "NEXUS_TYPING_PER_SECOND",
  presencePerSecond: "NEXUS_PRESENCE_PER_SECOND",
  maxSocketsPerUser: "NEXUS_MAX_SOCKETS_PER_USER",
};

export interface EdgeConfig {
  port: number;
  dataDir: string;
  /** "" until the host fills it (AccountService refuses to start without >= 32 chars). */
  jwtSecret: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  /** Consecutive failed logins before lockout (fixed by product rule). */
  maxFailedLogins: number;
  lockoutMinutes: number;
  adminUsernames: string[];
  /** Allowed cross-origin origins; empty = same-origin only. */
  corsOrigins: string[];
  /** Per-user REST requests per minute. */
  restPerMinute: number;
  /** Per-IP register/login/refresh requests per minute. */
  authPerMinute: number;
  /** Max JSON body bytes (attachments use limits.maxAttachmentBytes). */
  bodyLimitBytes: number;
  /** Attachment upload quota per user per rolling hour, bytes. */
  uploadBytesPerHour: number;
  /** Unreferenced uploads are deleted after this long (ms); docs/operations.md "Attachments". */
  attachmentTtlMs: number;
  /** Period of the Bun host's attachment sweep (ms). */
  attachmentSweepMs: number;
  turnUrls: string[];
  turnSecret?: string;
  turnTtlSeconds: number;
  trustedIpHeader?: string;
  authCacheMs: number;
  hsts: boolean;
  /** GET /metrics needs `Authorization: Bearer <metricsToken>`; unset = loopback clients only. */
  metricsToken?: string;
  /** Bun host storage (the Durable Object host commits per conversation and ignores both). */
  sync: "full" | "normal";
  commitIntervalMs: number;
  limits: Limits;
  /** Set in cluster mode (NATS_URL given). */
  cluster?: ClusterConfig;
}

export interface ClusterConfig {
  natsUrls: string[];
  redisUrl: string;
  libsqlUrl: string;
  libsqlAuthToken?: string;
  /** The accounts' libSQL server (LIBSQL_URL when one server holds everything). */
  accountsLibsqlUrl: string;
  /** Embedded replica file (local disk, one per node); unset: every read goes to the server. */
  libsqlReplicaPath?: string;
  region: string;
  /** Unique in the cluster; a restarted node may reuse it (its incarnation changes). */
  nodeId: string;
  role: "all" | "edge";
  name: string;
  /** Liveness lease TTL in Redis; heartbeats and "gone" detection on the bus scale with it. */
  leaseTtlMs: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function loadConfig(env: Record<string, string | undefined>): EdgeConfig {
  // Empty strings mean "unset" (docker-compose and .env files produce them).
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = EnvSchema.safeParse(clean);
  if (!parsed.success) throw new ConfigError(describe(parsed.error.issues, (path) => String(path[0])));
  const e = parsed.data;

  const limitInput: Record<string, number> = {};
  for (const [field, variable] of Object.entries(LIMIT_VARS)) {
    const v = e[variable];
    if (v !== undefined) limitInput[field] = v as number;
  }
  const limits = LimitsSchema.safeParse(limitInput);
  if (!limits.success)
    throw new ConfigError(describe(limits.error.issues, (path) => LIMIT_VARS[path[0] as keyof Limits] ?? String(path[0])));

  let cluster: ClusterConfig | undefined;
  if (e.NATS_URL.length > 0) {
    const missing = [
      !e.REDIS_URL && "REDIS_URL (this region's Redis: leases, rate limits)",
      !e.LIBSQL_URL && "LIBSQL_URL (this region's libSQL server)",
      !e.JWT_SECRET && "JWT_SECRET (the same on every node)",
    ].filter(Boolean);
    if (missing.length > 0) throw new ConfigError(`Invalid configuration: cluster mode (NATS_URL is set) also needs ${missing.join(", ")}`);
    cluster = {
      natsUrls: e.NATS_URL,
      redisUrl: e.REDIS_URL!,
      libsqlUrl: e.LIBSQL_URL!,
      libsqlAuthToken: e.LIBSQL_AUTH_TOKEN,
      accountsLibsqlUrl: e.ACCOUNTS_LIBSQL_URL ?? e.LIBSQL_URL!,
      libsqlReplicaPath: e.LIBSQL_REPLICA_PATH,
      region: e.NEXUS_REGION,
      nodeId: e.NEXUS_NODE_ID ?? `${(env.HOSTNAME ?? "node").replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 40)}-${e.PORT}`,
      role: e.NEXUS_NODE_ROLE,
      name: e.NEXUS_CLUSTER_NAME,
      leaseTtlMs: e.NEXUS_LEASE_TTL_MS,
    };
  }

  return {
    cluster,
    port: e.PORT,
    dataDir: e.DATA_DIR,
    jwtSecret: e.JWT_SECRET ?? "",
    accessTtlSeconds: e.ACCESS_TTL_SECONDS,
    refreshTtlSeconds: e.REFRESH_TTL_SECONDS,
    maxFailedLogins: 3,
    lockoutMinutes: e.LOCKOUT_MINUTES,
    adminUsernames: e.ADMIN_USERNAMES.map((u) => u.toLowerCase()),
    corsOrigins: e.CORS_ORIGINS.map((o) => new URL(o).origin),
    restPerMinute: e.RATE_LIMIT_PER_MINUTE,
    authPerMinute: e.AUTH_RATE_LIMIT_PER_MINUTE,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    uploadBytesPerHour: e.UPLOAD_BYTES_PER_HOUR,
    attachmentTtlMs: e.ATTACHMENT_UNREFERENCED_TTL_SECONDS * 1000,
    attachmentSweepMs: e.ATTACHMENT_SWEEP_INTERVAL_SECONDS * 1000,
    turnUrls: e.TURN_URLS,
    turnSecret: e.TURN_SECRET,
    turnTtlSeconds: e.TURN_TTL_SECONDS,
    trustedIpHeader: e.TRUSTED_IP_HEADER || undefined,
    authCacheMs: e.AUTH_CACHE_MS,
    hsts: e.HSTS,
    metricsToken: e.METRICS_TOKEN,
    sync: e.NEXUS_SYNC,
    commitIntervalMs: e.NEXUS_COMMIT_INTERVAL_MS ?? (cluster ? COMMIT_INTERVAL_DEFAULTS.cluster : COMMIT_INTERVAL_DEFAULTS.single),
    limits: limits.data,
  };
}

function describe(issues: z.core.$ZodIssue[], name: (path: PropertyKey[]) => string): string {
  return "Invalid configuration: " + issues.map((i) => `${name(i.path)}: ${i.message}`).join("; ");
}

/** A fresh random secret (hex, 64 chars) for hosts that persist one when JWT_SECRET is unset. */
export function generateJwtSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
