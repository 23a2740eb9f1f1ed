/**
 * The app's configuration (what the edge app and the actors need, on every host) from environment
 * variables, validated with zod. Every error names the variable it came from, so a misconfigured
 * deployment fails at start with a readable message. Each host reads its own settings the same way
 * with parseEnv: the Bun host's listener and storage (hosts/bun/config.ts), the cluster's servers
 * and region (hosts/cluster/config.ts).
 */
import { z } from "zod";
import { LimitsSchema, type Limits } from "../protocol/limits.ts";

export const list = z
  .string()
  .optional()
  .transform((s) => (s ?? "").split(",").map((x) => x.trim()).filter(Boolean));
export const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);
export const bool = (def: boolean) =>
  z
    .enum(["1", "0", "true", "false", "yes", "no", ""])
    .optional()
    .transform((v) => (v === undefined || v === "" ? def : v === "1" || v === "true" || v === "yes"));

/** Env variable → config field. Keys are the variable names so issues name them. */
const EnvSchema = z.object({
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
  /** "relay": calls go through TURN only (no peer learns the other's address; needs TURN_URLS). */
  ICE_TRANSPORT_POLICY: z.enum(["all", "relay"]).default("all"),
  /** Header carrying the client IP set by a trusted proxy (e.g. x-forwarded-for). Unset = don't trust headers. */
  TRUSTED_IP_HEADER: z.string().trim().toLowerCase().optional(),
  /** How long verifyAccess may trust a cached token_version (lock takes effect within this). */
  AUTH_CACHE_MS: int(5000, 0, 60_000),
  /** Bearer token for GET /metrics. Unset: /metrics answers loopback clients only (edge/routes/health.ts). */
  METRICS_TOKEN: z.string().min(16, "METRICS_TOKEN must be at least 16 characters").optional(),
  /** Force HSTS even when the request does not look like https (behind a TLS-terminating proxy). */
  HSTS: bool(false),
  /** Web Push (RFC 8292): who runs this server, sent to push services in the VAPID JWT. */
  VAPID_SUBJECT: z.string().regex(/^(mailto:|https:\/\/)/, "VAPID_SUBJECT must be a mailto: or https:// URL").default("mailto:admin@localhost"),
  /** The VAPID key pair (base64url: the uncompressed P-256 public point, the private scalar). Set both on
   *  Cloudflare (secrets); Bun and the cluster make one at first start and keep it in the accounts db. */
  VAPID_PUBLIC_KEY: z.string().regex(/^[A-Za-z0-9_-]{87}$/, "VAPID_PUBLIC_KEY: 87 base64url characters").optional(),
  VAPID_PRIVATE_KEY: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "VAPID_PRIVATE_KEY: 43 base64url characters").optional(),
  /** Attachment bytes one user may upload per rolling hour (429 + Retry-After beyond). */
  UPLOAD_BYTES_PER_HOUR: int(256 * 1024 * 1024, 1),
  /** Bytes of one user's uploads not yet sent in a message (pending until sent or swept); beyond: 429. */
  PENDING_UPLOAD_BYTES: int(128 * 1024 * 1024, 1),
  /** An upload no message references within this many seconds is deleted (and can no longer be sent). */
  ATTACHMENT_UNREFERENCED_TTL_SECONDS: int(86_400, 1, 30 * 86_400),
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
  /** Cap on one user's uploaded-but-unsent bytes (actors/inbox/pendingUploads.ts). */
  pendingUploadBytes: number;
  /** Unreferenced uploads are deleted after this long (ms); docs/operations.md "Attachments". */
  attachmentTtlMs: number;
  turnUrls: string[];
  turnSecret?: string;
  turnTtlSeconds: number;
  iceTransportPolicy: "all" | "relay";
  trustedIpHeader?: string;
  authCacheMs: number;
  hsts: boolean;
  /** GET /metrics needs `Authorization: Bearer <metricsToken>`; unset = loopback clients only. */
  metricsToken?: string;
  /** Web Push identity (edge/push/vapidKeys.ts); keys absent until the host fills them. */
  vapid: { subject: string; publicKey?: string; privateKey?: string };
  limits: Limits;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** `env` checked against `schema`, whose keys are the variable names: a ConfigError names each bad one. */
export function parseEnv<S extends z.ZodObject>(schema: S, env: Record<string, string | undefined>): z.infer<S> {
  // Empty strings mean "unset" (docker-compose and .env files produce them).
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(clean);
  if (!parsed.success) throw new ConfigError(describe(parsed.error.issues, (path) => String(path[0])));
  return parsed.data;
}

export function loadConfig(env: Record<string, string | undefined>): EdgeConfig {
  const e = parseEnv(EnvSchema, env);

  const limitInput: Record<string, number> = {};
  for (const [field, variable] of Object.entries(LIMIT_VARS)) {
    const v = e[variable];
    if (v !== undefined) limitInput[field] = v as number;
  }
  const limits = LimitsSchema.safeParse(limitInput);
  if (!limits.success)
    throw new ConfigError(describe(limits.error.issues, (path) => LIMIT_VARS[path[0] as keyof Limits] ?? String(path[0])));

  return {
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
    pendingUploadBytes: e.PENDING_UPLOAD_BYTES,
    attachmentTtlMs: e.ATTACHMENT_UNREFERENCED_TTL_SECONDS * 1000,
    turnUrls: e.TURN_URLS,
    turnSecret: e.TURN_SECRET,
    turnTtlSeconds: e.TURN_TTL_SECONDS,
    iceTransportPolicy: e.ICE_TRANSPORT_POLICY,
    trustedIpHeader: e.TRUSTED_IP_HEADER || undefined,
    authCacheMs: e.AUTH_CACHE_MS,
    hsts: e.HSTS,
    metricsToken: e.METRICS_TOKEN,
    vapid: { subject: e.VAPID_SUBJECT, publicKey: e.VAPID_PUBLIC_KEY, privateKey: e.VAPID_PRIVATE_KEY },
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
