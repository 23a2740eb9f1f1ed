/**
 * The coordinator's handle on its load-generator processes: spawns them, hands each a share of
 * whole groups, sends commands and merges what they report.
 */
import type { Subprocess } from "bun";
import type { FromWorker, RunStats, ToWorker } from "../loadgen/protocol.ts";
import type { MemberSpec, TargetName } from "../targets/types.ts";
import { Histogram } from "./histogram.ts";
import { stopProcess } from "../../scripts/lib/processes.mjs";
import { BUN, ROOT } from "./procs.ts";

interface Worker {
  proc: Subprocess;
  waiters: Map<string, (m: FromWorker) => void>;
}

export interface MergedStats extends Omit<RunStats, "latency" | "ackLatency" | "cpuMs" | "wallMs"> {
  latency: Histogram;
  ackLatency: Histogram;
  /** Load generator CPU summed over processes, ms. */
  loadgenCpuMs: number;
  wallMs: number;
}

/** BENCH_LOADGEN_CPU_PROF=<dir>: each load generator writes a CPU profile (.cpuprofile + markdown) there on exit. */
function loadgenProfArgs(): string[] {
  const dir = process.env.BENCH_LOADGEN_CPU_PROF;
  return dir ? ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${dir}`] : [];
}

export class LoadgenPool {
  private constructor(private workers: Worker[], private onProgress?: (sent: number, delivered: number) => void) {}

  /** Spawns `n` processes and connects `specs` (split by group) through them. */
  static async open(
    target: TargetName,
    specs: MemberSpec[],
    n: number,
    opts: { concurrency?: number; onProgress?: (sent: number, delivered: number) => void } = {},
  ): Promise<{ pool: LoadgenPool; connected: number; failed: number; firstError?: string; connectMs: number }> {
    const progress = new Map<number, { sent: number; delivered: number }>();
    const workers: Worker[] = [];
    const pool = new LoadgenPool(workers, opts.onProgress);
    for (let i = 0; i < n; i++) {
      const w: Worker = { proc: null as unknown as Subprocess, waiters: new Map() };
      w.proc = Bun.spawn([BUN, ...loadgenProfArgs(), `${ROOT}/bench/loadgen/worker.ts`], {
        cwd: ROOT,
        stdio: ["ignore", "inherit", "inherit"],
        ipc(m: FromWorker) {
          if (m.op === "progress") {
            progress.set(i, m);
            let sent = 0;
            let delivered = 0;
            for (const p of progress.values()) (sent += p.sent), (delivered += p.delivered);
            pool.onProgress?.(sent, delivered);
            return;
          }
          if (m.op === "fatal") throw new Error(`loadgen ${i}: ${m.message}`);
          const waiter = w.waiters.get(m.op);
          w.waiters.delete(m.op);
          waiter?.(m);
        },
      });
      workers.push(w);
    }
    const shares: MemberSpec[][] = workers.map(() => []);
    for (const s of specs) shares[s.g % n]!.push(s);
    const t0 = performance.now();
    const ready = await Promise.all(
      workers.map((w, i) =>
        pool.ask(w, { op: "init", target, specs: shares[i]!, concurrency: opts.concurrency ?? 64 }, "ready"),
      ),
    );
    let connected = 0;
    let failed = 0;
    let firstError: string | undefined;
    for (const r of ready)
      if (r.op === "ready") (connected += r.connected), (failed += r.failed), (firstError ??= r.firstError);
    return { pool, connected, failed, firstError, connectMs: performance.now() - t0 };
  }

  private ask(w: Worker, msg: ToWorker, expect: FromWorker["op"]): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      w.waiters.set(expect, resolve);
      w.proc.exited.then((code) => reject(new Error(`loadgen process exited (${code}) while waiting for ${expect}`)));
      w.proc.send(msg);
    });
  }

  /** One measured run on every worker at once; stats merged. */
  async run(params: Omit<Extract<ToWorker, { op: "run" }>, "op">): Promise<MergedStats> {
    const results = await Promise.all(this.workers.map((w) => this.ask(w, { op: "run", ...params }, "result")));
    const m: MergedStats = {
      sent: 0, expected: 0, delivered: 0, deliveredInWindow: 0, windowMs: 0, lost: 0, duplicates: 0,
      outOfOrder: 0, foreign: 0, acks: 0, errors: {}, unexpectedCloses: 0, loadgenCpuMs: 0, wallMs: 0,
      drainMs: 0, latency: new Histogram(), ackLatency: new Histogram(),
    };
    for (const r of results) {
      if (r.op !== "result") continue;
      const s = r.stats;
      m.sent += s.sent;
      m.expected += s.expected;
      m.delivered += s.delivered;
      m.deliveredInWindow += s.deliveredInWindow;
      m.windowMs = Math.max(m.windowMs, s.windowMs);
      m.lost += s.lost;
      m.duplicates += s.duplicates;
      m.outOfOrder += s.outOfOrder;
      m.foreign += s.foreign;
      m.acks += s.acks;
      m.unexpectedCloses += s.unexpectedCloses;
      m.loadgenCpuMs += s.cpuMs;
      m.wallMs = Math.max(m.wallMs, s.wallMs);
      m.drainMs = Math.max(m.drainMs, s.drainMs);
      for (const [k, v] of Object.entries(s.errors)) m.errors[k] = (m.errors[k] ?? 0) + v;
      m.latency.merge(s.latency);
      m.ackLatency.merge(s.ackLatency);
    }
    return m;
  }

  /** Sockets still open, and the load generators' RSS. */
  async count(): Promise<{ open: number; rss: number }> {
    const rs = await Promise.all(this.workers.map((w) => this.ask(w, { op: "count" }, "count")));
    let open = 0;
    let rss = 0;
    for (const r of rs) if (r.op === "count") (open += r.open), (rss += r.rss);
    return { open, rss };
  }

  async close(): Promise<void> {
    for (const w of this.workers) if (w.proc.exitCode === null) w.proc.send({ op: "close" });
    await Promise.all(this.workers.map((w) => Promise.race([w.proc.exited, Bun.sleep(3000)])));
    await Promise.all(this.workers.map((w) => (w.proc.exitCode === null ? stopProcess(w.proc.pid, w.proc.exited, 1000) : undefined)));
  }
}
