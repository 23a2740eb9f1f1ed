/**
 * Coordinator half of Nexus: `bun edge/server.bun.ts` (what `npm start` runs) with a fresh DATA_DIR,
 * so every message is committed to its libSQL file before the ack, as users run it. Only the abuse
 * limits are raised (per-IP auth, per-user REST, sends per second), since one machine plays
 * thousands of users here; persistence settings are left at their defaults.
 */
import { BUN, ROOT, freePort, spawnChild, stopChild, waitHttp } from "../lib/procs.ts";
import { createGroup, inLanes, register, type NexusUser } from "./nexus.rest.ts";
import type { MemberSpec, StartOptions, Target, TargetServer, Workload } from "./types.ts";

export const NEXUS_ENTRY = `${ROOT}/edge/server.bun.ts`;

export const nexusBenchEnv = {
  AUTH_RATE_LIMIT_PER_MINUTE: "10000000",
  RATE_LIMIT_PER_MINUTE: "10000000",
  NEXUS_SENDS_PER_SECOND: "10000",
  NEXUS_MAX_GROUP_MEMBERS: "100000",
};

export interface NexusServer extends TargetServer {
  base: string;
  /** Users created by the last prepare(), by group then member. */
  users: NexusUser[][];
  convs: string[];
}

export const nexus: Target & { start(opts: StartOptions): Promise<NexusServer> } = {
  name: "nexus",
  async start(opts: StartOptions): Promise<NexusServer> {
    const port = await freePort();
    const { proc, tail } = spawnChild([BUN, NEXUS_ENTRY], {
      label: "nexus",
      env: { PORT: String(port), DATA_DIR: `${opts.tmpDir}/data`, ...nexusBenchEnv, ...extraEnv() },
      verbose: opts.verbose,
    });
    const base = `http://127.0.0.1:${port}`;
    await waitHttp(`${base}/ready`, proc, 30_000, tail);
    const server: NexusServer = {
      name: "nexus",
      description: "Nexus Bun host, 1 process, libSQL file, every message durable before its ack",
      base,
      users: [],
      convs: [],
      pids: () => [proc.pid],
      async prepare(w: Workload): Promise<MemberSpec[]> {
        const prefix = `b${Date.now().toString(36).slice(-5)}`;
        const names: string[] = [];
        for (let g = 0; g < w.groups; g++) for (let m = 0; m < w.members; m++) names.push(`${prefix}_${g}_${m}`);
        const flat = await inLanes(names, 8, (n) => register(base, n));
        server.users = [];
        for (let g = 0; g < w.groups; g++) server.users.push(flat.slice(g * w.members, (g + 1) * w.members));
        server.convs = await inLanes(server.users, 8, (members, g) =>
          createGroup(base, members[0]!, `bench ${g}`, members.slice(1).map((u) => u.username)),
        );
        const specs: MemberSpec[] = [];
        const copies = w.socketsPerMember ?? 1;
        for (let g = 0; g < w.groups; g++)
          for (let m = 0; m < w.members; m++)
            for (let k = 0; k < copies; k++)
              specs.push({
                g,
                m,
                id: specs.length,
                conn: { base, token: server.users[g]![m]!.accessToken, conv: server.convs[g]! },
              });
        return specs;
      },
      stop: () => stopChild(proc, 5000),
    };
    return server;
  },
};

/** BENCH_NEXUS_ENV='{"K":"V"}' adds server env, e.g. to compare settings by hand. */
function extraEnv(): Record<string, string> {
  const raw = process.env.BENCH_NEXUS_ENV;
  return raw ? (JSON.parse(raw) as Record<string, string>) : {};
}
