/**
 * Connections: idle authenticated sockets opened and held, and the server's RSS growth per socket.
 * Sockets are spread over several load-generator processes (one process holds at most ~19,990
 * here); each system's server side is as many processes as it runs (Socket.IO: N instances + Redis).
 * A fresh server per system, so garbage from earlier scenarios does not blur the RSS difference.
 * The server's CPU while it only holds them (from `settleMs` into the hold: 1 s, 10 s for `idle`,
 * where the first seconds are still the opening's garbage collection) is its idle cost.
 * Two instances: `connections` (how many, how fast, RSS) and `idle` (issue #21: 10k sockets).
 */
import type { BenchConfig, ConnectionsConfig } from "../config.ts";
import { withServer, type Ctx } from "../lib/context.ts";
import { LoadgenPool } from "../lib/pool.ts";
import { rssBytes, totalCpuMs } from "../lib/procs.ts";
import type { Target } from "../targets/types.ts";
import type { Scenario, SystemResult } from "./types.ts";

const MB = 1048576;

const SETTLE_MS = 1000;

function connectionsScenario(name: "connections" | "idle", title: string, pick: (cfg: BenchConfig) => ConnectionsConfig): Scenario {
  return {
    name,
    title,
    workload: (cfg) => {
      const c = pick(cfg);
      return `${c.groups * c.members * c.socketsPerMember} sockets (${c.groups} groups x ${c.members} users x ${c.socketsPerMember} sockets each), held ${c.holdMs / 1000} s${c.settleMs ? `, server CPU counted from ${c.settleMs / 1000} s in` : ""}`;
    },
    // idle: what #21 judges is the CPU of holding them; connections: how fast they open.
    medianBy: name === "idle" ? "idleCpuPct" : "connectPerSec",
    columns: [
      { key: "held", label: "held" },
      { key: "failed", label: "failed" },
      { key: "connectPerSec", label: "opened/s", ratio: true },
      { key: "serverProcesses", label: "server procs" },
      { key: "maxPerProcess", label: "max sockets/proc" },
      { key: "rssPerConnKB", label: "RSS KB/socket", ratio: true },
      { key: "serverRssMB", label: "server RSS MB" },
      { key: "idleCpuPct", label: "server CPU % holding them", ratio: true },
    ],
    async run(target: Target, cfg: BenchConfig, ctx: Ctx): Promise<SystemResult> {
      const c = pick(cfg);
      return withServer(target, ctx, async (server) => {
        const specs = await server.prepare({ groups: c.groups, members: c.members, socketsPerMember: c.socketsPerMember });
        const workers = Math.max(1, Math.ceil(specs.length / c.perWorker));
        const pids = server.pids();
        const rss = () => pids.reduce((a, p) => a + rssBytes(p), 0);
        await Bun.sleep(300);
        const before = rss();
        ctx.log(`${target.name}: opening ${specs.length} sockets from ${workers} process(es)`);
        const opened = await LoadgenPool.open(target.name, specs, workers, { concurrency: 128 });
        try {
          ctx.log(`${target.name}: ${opened.connected} open, ${opened.failed} failed in ${Math.round(opened.connectMs)} ms`);
          const settle = Math.min(c.settleMs ?? SETTLE_MS, c.holdMs / 2);
          await Bun.sleep(settle);
          const cpu0 = totalCpuMs(pids);
          const t0 = performance.now();
          await Bun.sleep(c.holdMs - settle);
          const idleCpuPct = Math.round(((totalCpuMs(pids) - cpu0) / (performance.now() - t0)) * 1000) / 10;
          const { open } = await opened.pool.count();
          const after = rss();
          const serverProcesses = target.name === "socketio" ? pids.length - 1 : pids.length; // Redis holds no client sockets
          return {
            target: target.name,
            description: server.description,
            error: opened.failed ? `${opened.failed} failed: ${opened.firstError}` : undefined,
            metrics: {
              attempted: specs.length,
              held: open,
              failed: opened.failed,
              connectPerSec: Math.round((opened.connected / opened.connectMs) * 1000),
              serverProcesses,
              maxPerProcess: Math.ceil(open / serverProcesses),
              rssPerConnKB: open ? Math.round(((after - before) / open / 1024) * 10) / 10 : null,
              serverRssMB: Math.round(after / MB),
              serverRssBeforeMB: Math.round(before / MB),
              idleCpuPct,
            },
          };
        } finally {
          await opened.pool.close();
        }
      });
    },
  };
}

export const connections = connectionsScenario("connections", "Idle authenticated connections", (cfg) => cfg.connections);
export const idle = connectionsScenario("idle", "Idle cost: sockets held, server CPU and RSS", (cfg) => cfg.idle);
