/**
 * Coordinator half of the Socket.IO + Redis baseline: a private redis-server on a free port
 * (no snapshots, no AOF) and N Node processes running socketio.server.mjs. Members are spread
 * round-robin over the instances, so most room emits cross Redis.
 */
import { join } from "node:path";
import { freePort, spawnLogged, waitForHttp, type Spawned } from "../../scripts/lib/processes.mjs";
import { startRedis } from "../../tests/support/servers.ts";
import { ROOT } from "../lib/procs.ts";
import { buildSpecs, perShape } from "./specs.ts";
import { memberTokens, newSecret } from "./tokens.ts";
import type { MemberSpec, StartOptions, Target, TargetServer, Workload } from "./types.ts";

export const SOCKETIO_INSTANCES = Number(process.env.BENCH_SOCKETIO_INSTANCES ?? 2);

export const socketio: Target = {
  name: "socketio",
  async start(opts: StartOptions): Promise<TargetServer> {
    const redis = await startRedis();
    const secret = newSecret();
    const nodes: { port: number; proc: Spawned }[] = [];
    for (let i = 0; i < SOCKETIO_INSTANCES; i++) {
      const port = await freePort();
      const proc = spawnLogged("node", [`${ROOT}/bench/targets/socketio.server.mjs`], {
        name: `socketio${i}`,
        cwd: ROOT,
        env: { PORT: String(port), REDIS_PORT: String(redis.port), BENCH_SECRET: secret },
        logPath: join(opts.tmpDir, `socketio${i}.log`),
        echo: opts.verbose ? `socketio${i}` : undefined,
      });
      nodes.push({ port, proc });
      await waitForHttp(`http://127.0.0.1:${port}/health`, { proc, timeoutMs: 15_000, intervalMs: 50 });
    }
    const tokensFor = perShape((groups, members) => memberTokens(secret, groups, members));
    return {
      name: "socketio",
      description: `${SOCKETIO_INSTANCES} Node processes (Socket.IO 4 + redis-adapter) + 1 redis-server, no persistence`,
      pids: () => [redis.proc.pid, ...nodes.map((n) => n.proc.pid)],
      alive: () => redis.proc.running() && nodes.every((n) => n.proc.running()),
      async prepare(w: Workload): Promise<MemberSpec[]> {
        const tokens = await tokensFor(w);
        return buildSpecs(w, (g, m, i) => ({
          url: `http://127.0.0.1:${nodes[i % nodes.length]!.port}`,
          token: tokens[g]![m]!,
          group: String(g),
        }));
      },
      async stop() {
        for (const n of nodes) await n.proc.stop(3000);
        await redis.stop();
      },
    };
  },
};
