/**
 * Everyday load (issue #21): many conversations at human rates, the load a real deployment carries
 * most of the day. Saturation tells how far a server goes; this tells what an ordinary message
 * costs: server CPU per message and per delivery, and deliveries per server core, at a fixed rate
 * well below saturation, beside the peers at the same rate. One scenario per shape (config.ts).
 */
import type { BenchConfig, EverydayShape } from "../config.ts";
import { withSharedServer, type Ctx } from "../lib/context.ts";
import { measuredRun } from "../lib/measure.ts";
import { LoadgenPool } from "../lib/pool.ts";
import type { Target } from "../targets/types.ts";
import type { Scenario, SystemResult } from "./types.ts";

const columns = [
  { key: "messagesPerSec", label: "messages/s" },
  { key: "deliveredPerSec", label: "delivered/s" },
  { key: "p50", label: "p50 ms", ratio: true },
  { key: "p99", label: "p99 ms", ratio: true },
  { key: "ackP99", label: "ack p99 ms" },
  { key: "lost", label: "lost" },
  { key: "duplicates", label: "dup" },
  { key: "outOfOrder", label: "ooo" },
  { key: "serverCpuPct", label: "server CPU %" },
  { key: "serverCpuUsPerMessage", label: "server CPU µs/message", ratio: true },
  { key: "serverCpuUsPerDelivery", label: "server CPU µs/delivery", ratio: true },
  { key: "deliveriesPerCore", label: "deliveries per server core", ratio: true },
  { key: "otherCpuPct", label: "other CPU %" },
];

export type EverydayName = `everyday-${string}`;

export const describeShape = (s: EverydayShape) =>
  `${s.groups} conversation(s) x ${s.members} members, ${s.senders ?? s.members} sender(s) each at ${s.ratePerSender} msg/s`;

export function everydayScenario(shape: EverydayShape): Scenario {
  return {
    name: `everyday-${shape.name}`,
    title: `Everyday load: ${shape.name}`,
    // What #21 judges (the rate is fixed; p50 would pick an arbitrary round's CPU).
    medianBy: "serverCpuUsPerMessage",
    workload: ({ everyday: e }) => {
      const msgs = shape.groups * (shape.senders ?? shape.members) * shape.ratePerSender;
      return `${describeShape(shape)} (${msgs} messages/s, ${msgs * shape.members} deliveries/s) for ${e.durationMs / 1000} s`;
    },
    columns,
    async run(target: Target, cfg: BenchConfig, ctx: Ctx): Promise<SystemResult> {
      const e = cfg.everyday;
      return withSharedServer(target, ctx, async (server) => {
        const specs = await server.prepare({ groups: shape.groups, members: shape.members });
        const opened = await LoadgenPool.open(target.name, specs, e.workers, { concurrency: 128 });
        const { pool } = opened;
        try {
          if (opened.failed) throw new Error(`${opened.failed} sockets failed to open: ${opened.firstError}`);
          // The first fraction of each load generator's sockets send: with fewer senders than members
          // a shape has one conversation (config.ts), so they are that conversation's first members.
          const senderFraction = (shape.senders ?? shape.members) / shape.members;
          const run = { ratePerSender: shape.ratePerSender, senderFraction, drainMs: e.drainMs };
          await measuredRun(pool, server, { ...run, durationMs: e.warmupMs });
          const m = await measuredRun(pool, server, { ...run, durationMs: e.durationMs });
          const messagesPerSec = Math.round((m.sent / m.windowMs) * 1000);
          const usPerDelivery = m.serverCpuUsPerDelivery; // the run's server CPU / its deliveries
          ctx.log(`${target.name}: ${shape.name}: ${messagesPerSec} msgs/s, server ${m.serverCpuPct}%, p99 ${m.p99} ms, lost ${m.lost}`);
          return {
            target: target.name,
            description: server.description,
            metrics: {
              ...m,
              messagesPerSec,
              serverCpuUsPerMessage: usPerDelivery && m.sent ? Math.round((usPerDelivery * m.delivered) / m.sent) : null,
              deliveriesPerCore: usPerDelivery ? Math.round(1e6 / usPerDelivery) : null,
            },
          };
        } finally {
          await pool.close();
        }
      });
    },
  };
}
