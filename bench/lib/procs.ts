/**
 * Child processes of the benchmark: free loopback ports, spawning servers and waiting until they
 * answer, stopping them by PID, and reading their CPU time and RSS from /proc.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, resolve } from "node:path";
import type { Subprocess } from "bun";

export const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "../..");
export const BUN = process.execPath;

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

const live = new Set<Subprocess>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const p of live) p.kill("SIGKILL");
  };
  process.on("exit", killAll);
  for (const sig of ["SIGINT", "SIGTERM"] as const)
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
}

export interface SpawnOpts {
  env?: Record<string, string>;
  cwd?: string;
  /** Prefix for the child's stderr lines echoed to ours (stdout is kept quiet). */
  label: string;
  /** Echo the child's stdout too. */
  verbose?: boolean;
}

/** Spawns a long-lived child; its stderr (and stdout when verbose) tail is kept for error reports. */
export function spawnChild(cmd: string[], opts: SpawnOpts): { proc: Subprocess; tail: () => string } {
  hookExit();
  const lines: string[] = [];
  const proc = Bun.spawn(cmd, {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  live.add(proc);
  proc.exited.then(() => live.delete(proc));
  const pump = async (stream: ReadableStream<Uint8Array>, echo: boolean) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      const text = dec.decode(chunk);
      lines.push(text);
      if (lines.length > 50) lines.shift();
      if (echo) process.stderr.write(text.replace(/^(?=.)/gm, `  [${opts.label}] `));
    }
  };
  void pump(proc.stdout as ReadableStream<Uint8Array>, !!opts.verbose);
  void pump(proc.stderr as ReadableStream<Uint8Array>, !!opts.verbose);
  return { proc, tail: () => lines.join("").slice(-4000) };
}

/** Polls `url` until it answers 2xx, the child dies, or the timeout passes. */
export async function waitHttp(url: string, proc: Subprocess, timeoutMs: number, tail: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${url}: process exited ${proc.exitCode}\n${tail()}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      /* not listening yet */
    }
    await Bun.sleep(50);
  }
  throw new Error(`${url}: not ready after ${timeoutMs} ms\n${tail()}`);
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopChild(proc: Subprocess, graceMs = 3000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode) return;
  proc.kill("SIGTERM");
  const done = await Promise.race([proc.exited.then(() => true), Bun.sleep(graceMs).then(() => false)]);
  if (!done) {
    proc.kill("SIGKILL");
    await proc.exited;
  }
}

const TICK_MS = 10; // Linux USER_HZ is 100 on every distribution we run on.

/** User+system CPU time of a process in ms (0 if it is gone). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** Resident set size of a process in bytes (0 if it is gone). */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU ms summed over processes, for "how busy was the server side". */
export function totalCpuMs(pids: number[]): number {
  return pids.reduce((a, p) => a + cpuMs(p), 0);
}

/** Busy CPU time of the whole machine in ms (all cores), from /proc/stat. */
export function machineBusyMs(): number {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f as number[];
    return (user! + nice! + system! + irq! + softirq! + steal!) * TICK_MS;
  } catch {
    return 0;
  }
}
