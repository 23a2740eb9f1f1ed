/**
 * One measured load run: the load generators run, the coordinator samples server CPU around it, and
 * the raw counts become the metrics every report shows.
 */
import type { TargetServer } from "../targets/types.ts";
import { latencySummary } from "./histogram.ts";
import type { LoadgenPool } from "./pool.ts";
import { cpuMs, machineBusyMs, processName, rssBytes, totalCpuMs } from "./procs.ts";

export interface RunMetrics {
  ratePerSender: number;
  sent: number;
  expected: number;
  delivered: number;
  /** Deliveries per second while senders were sending. */
  deliveredPerSec: number;
  /** Deliveries per second the senders asked for. */
  offeredPerSec: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
  ackP50: number | null;
  ackP99: number | null;
  errors: Record<string, number>;
  unexpectedCloses: number;
  /** % of one core, averaged over the run (drain included). 100 = one core busy. */
  loadgenCpuPct: number;
  serverCpuPct: number;
  /** CPU per delivery, in µs: steadier than a saturation point (which one CPU spike can move), and
   *  what decides how far a system goes when server and load generator share two cores. */
  serverCpuUsPerDelivery: number | null;
  loadgenCpuUsPerDelivery: number | null;
  /** CPU used by everything else on the machine (other test suites on a shared box): if this is
   *  not near 0, the run was disturbed. */
  otherCpuPct: number;
  /** The server's CPU per delivery split by process ("comm pid"), for where a multi-process server spends it. */
  serverCpuUsPerDeliveryByProcess: Record<string, number>;
  serverRssMB: number;
  windowMs: number;
  drainMs: number;
}

let runCounter = 0;

export async function measuredRun(
  pool: LoadgenPool,
  server: TargetServer,
  p: { ratePerSender: number; durationMs: number; drainMs: number },
): Promise<RunMetrics> {
  const pids = server.pids();
  // Each process's CPU read once at each end: the total is their sum (the split adds up to it).
  const cpu0 = pids.map(cpuMs);
  const busy0 = machineBusyMs();
  const t0 = performance.now();
  const s = await pool.run({ runId: ++runCounter, ...p });
  const wall = performance.now() - t0;
  const cpuByPid = pids.map((pid, i) => cpuMs(pid) - cpu0[i]!);
  const serverCpu = cpuByPid.reduce((a, c) => a + c, 0);
  const machineCpu = machineBusyMs() - busy0;
  const lat = latencySummary(s.latency);
  const ack = s.ackLatency.n ? latencySummary(s.ackLatency) : null;
  const perSec = (n: number) => Math.round((n / s.windowMs) * 1000);
  return {
    ratePerSender: p.ratePerSender,
    sent: s.sent,
    expected: s.expected,
    delivered: s.delivered,
    deliveredPerSec: perSec(s.deliveredInWindow),
    offeredPerSec: perSec(s.expected),
    p50: lat.p50,
    p95: lat.p95,
    p99: lat.p99,
    max: lat.max,
    lost: s.lost,
    duplicates: s.duplicates,
    outOfOrder: s.outOfOrder,
    ackP50: ack?.p50 ?? null,
    ackP99: ack?.p99 ?? null,
    errors: s.errors,
    unexpectedCloses: s.unexpectedCloses,
    loadgenCpuPct: Math.round((s.loadgenCpuMs / wall) * 100),
    serverCpuPct: Math.round((serverCpu / wall) * 100),
    serverCpuUsPerDelivery: s.delivered ? Math.round((serverCpu * 1000 * 100) / s.delivered) / 100 : null,
    loadgenCpuUsPerDelivery: s.delivered ? Math.round((s.loadgenCpuMs * 1000 * 100) / s.delivered) / 100 : null,
    otherCpuPct: Math.max(0, Math.round(((machineCpu - serverCpu - s.loadgenCpuMs) / wall) * 100)),
    serverCpuUsPerDeliveryByProcess: s.delivered ? byProcess(pids, cpuByPid, s.delivered) : {},
    serverRssMB: Math.round(pids.reduce((a, pid) => a + rssBytes(pid), 0) / 1048576),
    windowMs: Math.round(s.windowMs),
    drainMs: Math.round(s.drainMs),
  };
}

/** Waits until the server's processes use under 10% of a core (a backlog from an overloaded step
 *  would otherwise leak into the next one), at most `maxMs`. */
export async function waitQuiet(server: TargetServer, maxMs = 10_000): Promise<void> {
  const pids = server.pids();
  const deadline = performance.now() + maxMs;
  while (performance.now() < deadline) {
    const c0 = totalCpuMs(pids);
    await Bun.sleep(300);
    if (totalCpuMs(pids) - c0 < 30) return;
  }
}

function byProcess(pids: number[], cpu: number[], delivered: number): Record<string, number> {
  return Object.fromEntries(pids.map((pid, i) => [`${processName(pid)} ${pid}`, Math.round((cpu[i]! * 1000 * 100) / delivered) / 100]));
}
