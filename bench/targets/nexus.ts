/**
 * Coordinator half of Nexus: `bun hosts/bun/server.ts` (what `npm start` runs) with a fresh DATA_DIR,
 * so every message is committed to its libSQL file before the ack, as users run it. Only the abuse
 * limits are raised (per-IP auth, per-user REST, sends per second), since one machine plays
 * thousands of users here; persistence settings are left at their defaults.
 */
import { withBunRuntimeEnv } from "../../hosts/bun/runtimeEnv.mjs";
import { join } from "node:path";
import { freePort, spawnLogged, waitForHttp } from "../../scripts/lib/processes.mjs";
import { BUN, ROOT } from "../lib/procs.ts";
import { registerGroups } from "./nexus.rest.ts";
import { buildSpecs, perShape } from "./specs.ts";
import type { MemberSpec, StartOptions, Target, TargetServer, Workload } from "./types.ts";

/** BENCH_NEXUS_ENTRY points at another checkout's server entry (e.g. to measure a patch side by side). */
export const NEXUS_ENTRY = process.env.BENCH_NEXUS_ENTRY ?? `${ROOT}/hosts/bun/server.ts`;

export const nexusBenchEnv = {
  AUTH_RATE_LIMIT_PER_MINUTE: "10000000",
  RATE_LIMIT_PER_MINUTE: "10000000",
  NEXUS_SENDS_PER_SECOND: "10000",
  NEXUS_MAX_GROUP_MEMBERS: "100000",
  // A full run outlasts the default 15-minute access token.
  ACCESS_TTL_SECONDS: "86400",
};

export interface NexusServer extends TargetServer {
  base: string;
  /** The server's data directory (libSQL file and blobs). */
  dataDir: string;
}

export const nexus: Target & { start(opts: StartOptions): Promise<NexusServer> } = {
  name: "nexus",
  async start(opts: StartOptions): Promise<NexusServer> {
    const port = await freePort();
    // BENCH_NEXUS_CPU_PROF=<dir>: write a CPU profile (.cpuprofile + markdown) there when the server stops.
    const prof = process.env.BENCH_NEXUS_CPU_PROF;
    const profArgs = prof ? ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${prof}`] : [];
    const proc = spawnLogged(BUN, [...profArgs, NEXUS_ENTRY], {
      name: "nexus",
      cwd: ROOT,
      // What npm start adds (hosts/bun/runtimeEnv.mjs); BENCH_NEXUS_ENV may override it.
      env: withBunRuntimeEnv({ PORT: String(port), DATA_DIR: `${opts.tmpDir}/data`, ...nexusBenchEnv, ...extraEnv() }),
      logPath: join(opts.tmpDir, "nexus.log"),
      echo: opts.verbose ? "nexus" : undefined,
    });
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/ready`, { proc, timeoutMs: 30_000, intervalMs: 50 });
    const groupsFor = perShape((groups, members) => registerGroups(base, "s", groups, members));
    const server: NexusServer = {
      name: "nexus",
      description: "Nexus Bun host, 1 process, libSQL file, every message durable before its ack",
      base,
      dataDir: `${opts.tmpDir}/data`,
      pids: () => [proc.pid],
      alive: () => proc.running(),
      async prepare(w: Workload): Promise<MemberSpec[]> {
        const { users, convs } = await groupsFor(w);
        return buildSpecs(w, (g, m) => ({ base, token: users[g]![m]!.accessToken, conv: convs[g]! }));
      },
      stop: async () => void (await proc.stop(5000)),
    };
    return server;
  },
};

/** BENCH_NEXUS_ENV='{"K":"V"}' adds server env, e.g. to compare settings by hand. */
export function extraEnv(): Record<string, string> {
  const raw = process.env.BENCH_NEXUS_ENV;
  return raw ? (JSON.parse(raw) as Record<string, string>) : {};
}
