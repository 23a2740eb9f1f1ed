/**
 * The Bun host's own settings (edge/config.ts holds the app's): where it listens, where its data
 * lives and how its libSQL storage commits. Read from the environment like the app's, with errors
 * naming the variable. A Bun node runs on the app's settings plus these (NodeConfig).
 */
import { z } from "zod";
import { int, loadConfig, parseEnv, type EdgeConfig } from "../../edge/config.ts";

/**
 * Group-commit spacing by mode, ms. One node: a local file, whose commit costs an fsync; 2 ms cut
 * the server's CPU by 15-20% under load for 1-2 ms of p50 (libsqlSql.ts). Cluster: every node's
 * commits are HTTP transactions on the one libSQL server, ~1 ms of its CPU each whatever their size
 * (bench/README.md). At 20k deliveries/s on the 2-core bench box, 10 ms instead of 2 took sqld from
 * 62% to 41% of a core and the cluster from 133% to 102%, and p99 fell (82 -> 41 ms: less queueing
 * for CPU) while p50 rose 8.6 -> 12.7 ms. A send after a quiet moment is not delayed either way.
 */
export const COMMIT_INTERVAL_DEFAULTS = { single: 2, cluster: 10 } as const;

/** Env variable → setting; keys are the variable names so issues name them. */
const BunEnvSchema = z.object({
  PORT: int(8787, 0, 65535),
  DATA_DIR: z.string().min(1).default("./data"),
  /** "full" fsyncs every commit (survives power loss); "normal" survives a process crash only. */
  NEXUS_SYNC: z.enum(["full", "normal"]).default("full"),
  /** At most one group commit starts per this many ms (0 = as soon as the last ends); the default
   *  depends on the mode (COMMIT_INTERVAL_DEFAULTS). */
  NEXUS_COMMIT_INTERVAL_MS: z.coerce.number().int().min(0).max(100).optional(),
  /** How often the Bun host sweeps unreferenced uploads and orphaned bytes. */
  ATTACHMENT_SWEEP_INTERVAL_SECONDS: int(3600, 1, 86_400),
});

export interface BunHostConfig {
  port: number;
  dataDir: string;
  sync: "full" | "normal";
  commitIntervalMs: number;
  /** Period of the attachment sweep (ms). */
  attachmentSweepMs: number;
}

/** What a Bun node (single or cluster) runs on: the app's settings and the host's. */
export type NodeConfig = EdgeConfig & BunHostConfig;

export function loadBunHostConfig(env: Record<string, string | undefined>, mode: keyof typeof COMMIT_INTERVAL_DEFAULTS = "single"): BunHostConfig {
  const e = parseEnv(BunEnvSchema, env);
  return {
    port: e.PORT,
    dataDir: e.DATA_DIR,
    sync: e.NEXUS_SYNC,
    commitIntervalMs: e.NEXUS_COMMIT_INTERVAL_MS ?? COMMIT_INTERVAL_DEFAULTS[mode],
    attachmentSweepMs: e.ATTACHMENT_SWEEP_INTERVAL_SECONDS * 1000,
  };
}

/** The app's settings, then the host's (the first bad variable found stops the start). */
export function loadNodeConfig(env: Record<string, string | undefined>, mode: keyof typeof COMMIT_INTERVAL_DEFAULTS = "single"): NodeConfig {
  return { ...loadConfig(env), ...loadBunHostConfig(env, mode) };
}
