/** Coordinator half of the raw Bun ceiling: one Bun process running rawBun.server.ts. */
import { withBunRuntimeEnv } from "../../hosts/bun/runtimeEnv.mjs";
import { join } from "node:path";
import { freePort, spawnLogged, waitForHttp } from "../../scripts/lib/processes.mjs";
import { BUN, ROOT } from "../lib/procs.ts";
import { buildSpecs, perShape } from "./specs.ts";
import { memberTokens, newSecret } from "./tokens.ts";
import type { MemberSpec, StartOptions, Target, TargetServer, Workload } from "./types.ts";

export const rawBun: Target = {
  name: "rawBun",
  async start(opts: StartOptions): Promise<TargetServer> {
    const port = await freePort();
    const secret = newSecret();
    const proc = spawnLogged(BUN, [`${ROOT}/bench/targets/rawBun.server.ts`], {
      name: "rawBun",
      cwd: ROOT,
      // The allocator setting Nexus runs with is open to any Bun server, so the ceiling gets it too.
      env: withBunRuntimeEnv({ PORT: String(port), BENCH_SECRET: secret }),
      logPath: join(opts.tmpDir, "rawBun.log"),
      echo: opts.verbose ? "rawBun" : undefined,
    });
    await waitForHttp(`http://127.0.0.1:${port}/health`, { proc, timeoutMs: 10_000, intervalMs: 50 });
    const tokensFor = perShape((groups, members) => memberTokens(secret, groups, members));
    return {
      name: "rawBun",
      description: "Bun.serve WebSocket pub/sub, 1 process, topic per group, no persistence",
      pids: () => [proc.pid],
      alive: () => proc.running(),
      async prepare(w: Workload): Promise<MemberSpec[]> {
        const tokens = await tokensFor(w);
        return buildSpecs(w, (g, m) => ({ url: `ws://127.0.0.1:${port}/ws?g=${g}&token=${tokens[g]![m]}` }));
      },
      stop: async () => void (await proc.stop(3000)),
    };
  },
};
