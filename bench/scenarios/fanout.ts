/**
 * Fan-out: C sockets in R groups of M members, every member sending at a fixed rate; every message
 * goes to all M members of its group (sender included). Reports delivered msgs/s, end-to-end latency
 * (sender's clock to each receiver), loss, duplicates, per-sender order, and who used the CPU.
 */
import type { BenchConfig } from "../config.ts";
import { withSharedServer, type Ctx } from "../lib/context.ts";
import { measuredRun } from "../lib/measure.ts";
import { LoadgenPool } from "../lib/pool.ts";
import type { Target } from "../targets/types.ts";
import type { Scenario, SystemResult } from "./types.ts";

export const fanoutColumns = [
  { key: "deliveredPerSec", label: "delivered/s", ratio: true },
  { key: "offeredPerSec", label: "offered/s" },
  { key: "p50", label: "p50 ms", ratio: true },
  { key: "p95", label: "p95 ms" },
  { key: "p99", label: "p99 ms", ratio: true },
  { key: "max", label: "max ms" },
  { key: "lost", label: "lost" },
  { key: "duplicates", label: "dup" },
  { key: "outOfOrder", label: "ooo" },
  { key: "ackP99", label: "ack p99 ms" },
  { key: "serverCpuPct", label: "server CPU %" },
  { key: "loadgenCpuPct", label: "loadgen CPU %" },
  { key: "otherCpuPct", label: "other CPU %" },
  { key: "serverCpuUsPerDelivery", label: "server CPU µs/delivery", ratio: true },
  { key: "deliveriesPerCore", label: "deliveries per server core", ratio: true },
  { key: "loadgenCpuUsPerDelivery", label: "loadgen CPU µs/delivery", ratio: true },
];

export const fanout: Scenario = {
  name: "fanout",
  title: "Fan-out at a fixed rate",
  workload: ({ fanout: f }) =>
    `${f.groups * f.members} sockets = ${f.groups} groups x ${f.members} members, each member sends ${f.ratePerSender} msg/s ` +
    `(offered ${f.groups * f.members * f.ratePerSender * f.members} deliveries/s) for ${f.durationMs / 1000} s, ` +
    `${f.workers} load-generator process(es)`,
  columns: fanoutColumns,
  // The rate is fixed, so every round delivers about the same: what differs, and what #15 judges, is the CPU.
  medianBy: "serverCpuUsPerDelivery",
  async run(target: Target, cfg: BenchConfig, ctx: Ctx): Promise<SystemResult> {
    const f = cfg.fanout;
    return withSharedServer(target, ctx, async (server) => {
      const specs = await server.prepare({ groups: f.groups, members: f.members });
      const opened = await LoadgenPool.open(target.name, specs, f.workers, {
        onProgress: (sent, delivered) => ctx.log(`${target.name}: fan-out sent ${sent}, delivered ${delivered}`),
      });
      const { pool } = opened;
      try {
        ctx.log(`${target.name}: ${opened.connected}/${specs.length} sockets open in ${Math.round(opened.connectMs)} ms`);
        if (opened.failed) throw new Error(`${opened.failed} sockets failed to open: ${opened.firstError}`);
        await measuredRun(pool, server, { ratePerSender: f.ratePerSender, durationMs: f.warmupMs, drainMs: f.drainMs });
        const m = await measuredRun(pool, server, { ratePerSender: f.ratePerSender, durationMs: f.durationMs, drainMs: f.drainMs });
        ctx.log(`${target.name}: ${m.deliveredPerSec} delivered/s, p99 ${m.p99} ms, lost ${m.lost}, ooo ${m.outOfOrder}`);
        const deliveriesPerCore = m.serverCpuUsPerDelivery ? Math.round(1e6 / m.serverCpuUsPerDelivery) : null;
        return { target: target.name, description: server.description, metrics: { ...m, deliveriesPerCore } };
      } finally {
        await pool.close();
      }
    });
  },
};
