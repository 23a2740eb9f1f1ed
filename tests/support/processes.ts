/**
 * Child processes for suites: real servers started on free ports, their output captured to a temp
 * file (so a failing test can show the server's log), stopped by PID with SIGTERM then SIGKILL.
 * Every child is started in its own process group, and the whole group is signalled, so helpers a
 * server starts (e.g. workerd under wrangler) go with it. Anything still running when the test
 * process exits is killed, so a crashed suite leaves nothing behind.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, openSync, closeSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Spawned {
  readonly pid: number;
  readonly name: string;
  /** File holding the child's stdout and stderr. */
  readonly logPath: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  running(): boolean;
  /** The captured output so far (last `maxChars` characters). */
  log(maxChars?: number): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<Exit>;
  /** SIGKILL at once (a crash); resolves once the process is gone. */
  kill(): Promise<Exit>;
}

const live = new Map<number, Spawned>();
process.on("exit", () => {
  for (const pid of live.keys()) signalGroup(pid, "SIGKILL");
});

let logDir: string | undefined;
function newLogPath(name: string): string {
  logDir ??= mkdtempSync(join(tmpdir(), "nexus-logs-"));
  return join(logDir, `${name.replace(/[^A-Za-z0-9_.-]/g, "_")}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.log`);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export interface SpawnOptions {
  /** Short label used in log file names and error messages. */
  name?: string;
  cwd?: string;
  /** Added to (and overriding) the parent's environment. */
  env?: Record<string, string | undefined>;
}

/** Start `cmd args…` with output captured to a temp log file. */
export function spawnLogged(cmd: string, args: string[], opts: SpawnOptions = {}): Spawned {
  const name = opts.name ?? cmd.split("/").pop() ?? "proc";
  const logPath = newLogPath(name);
  const fd = openSync(logPath, "a");
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...opts.env })) if (v !== undefined) env[k] = v;
  const child = spawn(cmd, args, { cwd: opts.cwd, env, stdio: ["ignore", fd, fd], detached: true });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  const pid = child.pid;
  let done = false;
  const exited = new Promise<Exit>((resolve) => {
    child.once("exit", (code, signal) => {
      done = true;
      live.delete(pid);
      resolve({ code, signal });
    });
    child.once("error", () => {
      done = true;
      live.delete(pid);
      resolve({ code: -1, signal: null });
    });
  });
  const proc: Spawned = {
    pid,
    name,
    logPath,
    exited,
    running: () => !done,
    log: (maxChars = 4000) => (existsSync(logPath) ? readFileSync(logPath, "utf8").slice(-maxChars) : ""),
    async stop(graceMs = 5000) {
      if (done) return exited;
      signalGroup(pid, "SIGTERM");
      const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), graceMs);
      const exit = await exited;
      clearTimeout(timer);
      return exit;
    },
    async kill() {
      if (!done) signalGroup(pid, "SIGKILL");
      return exited;
    },
  };
  live.set(pid, proc);
  return proc;
}

/** Stop a process we know only by PID: SIGTERM, then SIGKILL after `graceMs`. */
export async function killPid(pid: number, graceMs = 5000): Promise<void> {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  signalGroup(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await Bun.sleep(50);
  if (alive()) signalGroup(pid, "SIGKILL");
  while (alive()) await Bun.sleep(20);
}

export interface WaitOptions {
  timeoutMs?: number;
  /** Fail at once (with its log) if this process exits while we wait. */
  proc?: Spawned;
  /** Accept this status (default: any 2xx). */
  ok?: (status: number) => boolean;
}

/** Poll `url` until it answers (2xx by default). */
export async function waitForHttp(url: string, opts: WaitOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const ok = opts.ok ?? ((s: number) => s >= 200 && s < 300);
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (opts.proc && !opts.proc.running()) {
      const exit = await opts.proc.exited;
      throw new Error(
        `${opts.proc.name} exited (code ${exit.code}, signal ${exit.signal}) before ${url} answered; log ${opts.proc.logPath}:\n${opts.proc.log()}`,
      );
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer().catch(() => undefined);
      if (ok(res.status)) return;
      last = `status ${res.status}`;
    } catch (e) {
      last = String((e as Error).message ?? e);
    }
    await Bun.sleep(100);
  }
  const tail = opts.proc ? `\nlog ${opts.proc.logPath}:\n${opts.proc.log()}` : "";
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})${tail}`);
}

/** Poll a TCP port until something accepts connections (for servers without HTTP). */
export async function waitForTcp(port: number, opts: { timeoutMs?: number; proc?: Spawned; host?: string } = {}): Promise<void> {
  const { connect } = await import("node:net");
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (opts.proc && !opts.proc.running()) {
      throw new Error(`${opts.proc.name} exited before port ${port} opened; log:\n${opts.proc.log()}`);
    }
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, opts.host ?? "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (up) return;
    await Bun.sleep(100);
  }
  throw new Error(`port ${port} did not open within ${opts.timeoutMs ?? 30_000} ms`);
}

/** A fresh empty directory under the OS temp dir. */
export function tempDir(prefix = "nexus-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
