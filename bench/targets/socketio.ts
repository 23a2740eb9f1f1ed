/**
 * Coordinator half of the Socket.IO + Redis baseline: a private redis-server on a free port
 * (no snapshots, no AOF) and N Node processes running socketio.server.mjs. Members are spread
 * round-robin over the instances, so most room emits cross Redis.
 */
import { ROOT, freePort, spawnChild, stopChild, waitHttp } from "../lib/procs.ts";
import { buildSpecs, perShape } from "./specs.ts";
import { memberTokens, newSecret } from "./tokens.ts";
import type { MemberSpec, StartOptions, Target, TargetServer, Workload } from "./types.ts";

export const SOCKETIO_INSTANCES = Number(process.env.BENCH_SOCKETIO_INSTANCES ?? 2);

async function waitRedis(port: number, proc: { exitCode: number | null }, tail: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited\n${tail()}`);
    const ok = await new Promise<boolean>((res) => {
      Bun.connect({
        hostname: "127.0.0.1",
        port,
        socket: {
          open(s) { s.write("PING\r\n"); },
          data(s, d) { res(d.toString().startsWith("+PONG")); s.end(); },
          error() { res(false); },
          connectError() { res(false); },
        },
      }).catch(() => res(false));
    });
    if (ok) return;
    await Bun.sleep(50);
  }
  throw new Error(`redis-server not ready\n${tail()}`);
}

export const socketio: Target = {
  name: "socketio",
  async start(opts: StartOptions): Promise<TargetServer> {
    const redisPort = await freePort();
    const redis = spawnChild(
      ["redis-server", "--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { label: "redis", verbose: opts.verbose, cwd: opts.tmpDir },
    );
    await waitRedis(redisPort, redis.proc, redis.tail);
    const secret = newSecret();
    const nodes: { port: number; proc: ReturnType<typeof spawnChild>["proc"] }[] = [];
    for (let i = 0; i < SOCKETIO_INSTANCES; i++) {
      const port = await freePort();
      const child = spawnChild(["node", `${ROOT}/bench/targets/socketio.server.mjs`], {
        label: `socketio${i}`,
        env: { PORT: String(port), REDIS_PORT: String(redisPort), BENCH_SECRET: secret },
        verbose: opts.verbose,
      });
      nodes.push({ port, proc: child.proc });
      await waitHttp(`http://127.0.0.1:${port}/health`, child.proc, 15_000, child.tail);
    }
    const tokensFor = perShape((groups, members) => memberTokens(secret, groups, members));
    return {
      name: "socketio",
      description: `${SOCKETIO_INSTANCES} Node processes (Socket.IO 4 + redis-adapter) + 1 redis-server, no persistence`,
      pids: () => [redis.proc.pid, ...nodes.map((n) => n.proc.pid)],
      alive: () => redis.proc.exitCode === null && nodes.every((n) => n.proc.exitCode === null),
      async prepare(w: Workload): Promise<MemberSpec[]> {
        const tokens = await tokensFor(w);
        return buildSpecs(w, (g, m, i) => ({
          url: `http://127.0.0.1:${nodes[i % nodes.length]!.port}`,
          token: tokens[g]![m]!,
          group: String(g),
        }));
      },
      async stop() {
        for (const n of nodes) await stopChild(n.proc);
        await stopChild(redis.proc);
      },
    };
  },
};
