/** Coordinator half of the raw Bun ceiling: one Bun process running rawBun.server.ts. */
import { BUN, ROOT, freePort, spawnChild, stopChild, waitHttp } from "../lib/procs.ts";
import { memberTokens, newSecret } from "./tokens.ts";
import type { MemberSpec, StartOptions, Target, TargetServer, Workload } from "./types.ts";

export const rawBun: Target = {
  name: "rawBun",
  async start(opts: StartOptions): Promise<TargetServer> {
    const port = await freePort();
    const secret = newSecret();
    const { proc, tail } = spawnChild([BUN, `${ROOT}/bench/targets/rawBun.server.ts`], {
      label: "rawBun",
      env: { PORT: String(port), BENCH_SECRET: secret },
      verbose: opts.verbose,
    });
    await waitHttp(`http://127.0.0.1:${port}/health`, proc, 10_000, tail);
    return {
      name: "rawBun",
      description: "Bun.serve WebSocket pub/sub, 1 process, topic per group, no persistence",
      pids: () => [proc.pid],
      async prepare(w: Workload): Promise<MemberSpec[]> {
        const tokens = await memberTokens(secret, w.groups, w.members);
        const specs: MemberSpec[] = [];
        const copies = w.socketsPerMember ?? 1;
        for (let g = 0; g < w.groups; g++)
          for (let m = 0; m < w.members; m++)
            for (let k = 0; k < copies; k++)
              specs.push({
                g,
                m,
                id: specs.length,
                conn: { url: `ws://127.0.0.1:${port}/ws?g=${g}&token=${tokens[g]![m]}` },
              });
        return specs;
      },
      stop: () => stopChild(proc),
    };
  },
};
