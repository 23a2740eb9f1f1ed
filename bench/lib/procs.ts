/**
 * The benchmark's side of child processes: where the checkout and Bun are, and the CPU time and RSS
 * of the servers, read from /proc. Spawning, waiting and stopping are scripts/lib/processes.mjs.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

export const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "../..");
export const BUN = process.execPath;

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

/** A process's command name from /proc (e.g. "bun", "sqld", "nats-server"), "?" if it is gone. */
export function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "?";
  }
}
