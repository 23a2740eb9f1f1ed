/**
 * Child processes for every tool above the hosts: the cluster runner (infra/cluster), the test
 * suites (tests/) and the benchmark (bench/). Plain JavaScript so that Node 20 (npm run cluster,
 * no TypeScript loader) and Bun (tests, bench) run the same file; types in processes.d.mts.
 *
 * Each child runs in its own process group and is signalled as a group, so what it starts (e.g.
 * workerd under wrangler) goes with it, and a terminal's Ctrl-C reaches only our process, which
 * decides the order of stopping. Output goes to a log file (a temp file unless the caller names
 * one), so a failure can show the child's own words. Anything still running when this process
 * exits is killed, so a crashed caller leaves nothing behind.
 */
import { spawn } from "node:child_process";
import { closeSync, createWriteStream, existsSync, mkdtempSync, openSync, readFileSync, writeSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- ports

/** Ports handed out in this process: the kernel may offer a just-released port twice. */
const handedOut = new Set();

/** One TCP port on 127.0.0.1 that was free a moment ago and not handed out here before. */
export async function freePort() {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise((resolve, reject) => {
      const srv = createServer();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => {
        const addr = srv.address();
        const p = typeof addr === "object" && addr ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (port > 0 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("freePort: no free port after 50 attempts");
}

/** Several distinct free ports (e.g. client, cluster and gateway ports of one NATS node). */
export async function freePorts(n) {
  const ports = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  return ports;
}

/** Can we listen on host:port right now? (For ports the caller was given, not chose.) */
export function portFree(port, host = "127.0.0.1") {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

// ---- signals

/** Does a process with this PID exist? */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Signal the process group led by `pid`, or the process alone if it leads none. */
function signalGroup(pid, signal) {
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

/** SIGTERM, then SIGKILL if `exited` has not settled within `graceMs`; true if it went in time. */
export async function stopProcess(pid, exited, graceMs = 5000) {
  signalGroup(pid, "SIGTERM");
  let timer;
  const inTime = await Promise.race([exited.then(() => true), new Promise((r) => (timer = setTimeout(() => r(false), graceMs)))]);
  clearTimeout(timer);
  if (!inTime) {
    signalGroup(pid, "SIGKILL");
    await exited;
  }
  return inTime;
}

/** Stop a process known only by PID (not our child): SIGTERM, then SIGKILL after `graceMs`. */
export async function killPid(pid, graceMs = 5000) {
  if (!isAlive(pid)) return;
  signalGroup(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) signalGroup(pid, "SIGKILL");
  while (isAlive(pid)) await sleep(20);
}

// ---- spawning

/** pid → handle of every child still running. */
const live = new Map();

/** SIGKILL every child still running, synchronously (the caller is going away). */
export function killAll() {
  for (const pid of live.keys()) signalGroup(pid, "SIGKILL");
}
process.on("exit", killAll);

/** For command-line tools: SIGINT/SIGTERM kill the children and exit 130 (the "exit" hook alone
 *  does not run when a signal ends the process). Not for callers with their own shutdown order. */
export function killChildrenOnSignals() {
  for (const sig of ["SIGINT", "SIGTERM"])
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
}

let logDir;
function newLogPath(name) {
  logDir ??= mkdtempSync(join(tmpdir(), "nexus-logs-"));
  return join(logDir, `${name.replace(/[^A-Za-z0-9_.-]/g, "_")}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.log`);
}

/** Start `cmd args…` in its own process group with stdout and stderr going to a log file. */
export function spawnLogged(cmd, args, opts = {}) {
  const name = opts.name ?? cmd.split("/").pop() ?? "proc";
  const logPath = opts.logPath ?? newLogPath(name);
  const fd = openSync(logPath, "a");
  // A log the caller keeps across runs gets a line saying where each run starts.
  if (opts.logPath) writeSync(fd, `\n--- ${new Date().toISOString()} ${cmd} ${args.join(" ")}\n`);
  const env = {};
  for (const [k, v] of Object.entries({ ...process.env, ...opts.env })) if (v !== undefined) env[k] = v;
  // Echoing needs the output to pass through us; otherwise the child writes to the file directly.
  const stdio = opts.echo ? ["ignore", "pipe", "pipe"] : ["ignore", fd, fd];
  const child = spawn(cmd, args, { cwd: opts.cwd, env, stdio, detached: true });
  if (opts.echo) {
    const out = createWriteStream(logPath, { fd });
    const prefix = `  [${opts.echo}] `;
    for (const stream of [child.stdout, child.stderr])
      stream.on("data", (chunk) => {
        out.write(chunk);
        process.stderr.write(String(chunk).replace(/^(?=.)/gm, prefix));
      });
  } else closeSync(fd);
  let done = false;
  let startError;
  const exited = new Promise((resolve) => {
    const finish = (exit) => {
      if (done) return;
      done = true;
      live.delete(child.pid);
      resolve(exit);
    };
    child.once("exit", (code, signal) => finish({ code, signal }));
    child.once("error", (e) => {
      startError = e;
      finish({ code: -1, signal: null });
    });
  });
  if (child.pid === undefined) throw new Error(`could not start ${cmd} (not found or not executable)`);
  const pid = child.pid;
  const log = (maxChars = 4000) => {
    const text = existsSync(logPath) ? readFileSync(logPath, "utf8") : "";
    return (startError ? `${text}could not start ${cmd}: ${startError.message}\n` : text).slice(-maxChars);
  };
  const proc = {
    pid,
    name,
    logPath,
    exited,
    running: () => !done,
    log,
    async stop(graceMs = 5000) {
      if (!done) await stopProcess(pid, exited, graceMs);
      return exited;
    },
    async kill() {
      if (!done) signalGroup(pid, "SIGKILL");
      return exited;
    },
  };
  live.set(pid, proc);
  return proc;
}

/** Run `cmd` in the foreground for a command-line wrapper (npm start, npm test, npm run bench):
 *  same terminal, these signals passed on so it can stop cleanly; resolves with the exit code a
 *  shell would report (128 + the signal's number if a signal ended it). */
export function runInForeground(tag, cmd, args, { cwd, env = process.env, signals = ["SIGINT", "SIGTERM"] } = {}) {
  const child = spawn(cmd, args, { cwd, env, stdio: "inherit" });
  for (const sig of signals) process.on(sig, () => child.kill(sig));
  return new Promise((resolve) => {
    child.on("error", (e) => {
      console.error(`[${tag}] could not run ${cmd}: ${e.message}`);
      resolve(1);
    });
    child.on("exit", (code, signal) => resolve(code ?? 128 + (signalNumbers[signal] ?? 0)));
  });
}
const signalNumbers = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

// ---- waiting

/** Throws (with its log) if `proc` has exited: there is no point waiting for it any longer. */
async function failIfExited(proc, what) {
  if (!proc || proc.running()) return;
  const exit = await proc.exited;
  throw new Error(`${proc.name} exited (code ${exit.code}, signal ${exit.signal}) before ${what}; log ${proc.logPath}:\n${proc.log()}`);
}

/** Poll `url` until it answers (2xx by default). */
export async function waitForHttp(url, opts = {}) {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const ok = opts.ok ?? ((s) => s >= 200 && s < 300);
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    await failIfExited(opts.proc, `${url} answered`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer().catch(() => undefined);
      if (ok(res.status)) return;
      last = `status ${res.status}`;
    } catch (e) {
      last = String(e?.message ?? e);
    }
    await sleep(opts.intervalMs ?? 100);
  }
  const log = opts.proc ? `\nlog ${opts.proc.logPath}:\n${opts.proc.log()}` : "";
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})${log}`);
}

/** Poll a TCP port until something accepts connections (for servers without HTTP). */
export async function waitForTcp(port, opts = {}) {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await failIfExited(opts.proc, `port ${port} opened`);
    const up = await new Promise((resolve) => {
      const s = connect(port, opts.host ?? "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (up) return;
    await sleep(100);
  }
  const log = opts.proc ? `\nlog ${opts.proc.logPath}:\n${opts.proc.log()}` : "";
  throw new Error(`port ${port} did not open within ${timeoutMs} ms${log}`);
}

/** A fresh empty directory under the OS temp dir. */
export function tempDir(prefix = "nexus-") {
  return mkdtempSync(join(tmpdir(), prefix));
}
