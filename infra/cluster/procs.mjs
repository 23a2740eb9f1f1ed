/**
 * Child processes of infra/cluster/run.mjs: each in its own process group (a terminal's Ctrl-C
 * reaches only the runner, which stops them in order), output appended to one log file each,
 * stopped by PID (the group: SIGTERM, then SIGKILL after a grace period). A child that exits while
 * nobody asked it to is reported loudly, with the end of its log; the others keep running.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { connect, createServer } from "node:net";

const red = (s) => (process.stderr.isTTY ? `\x1b[1;31m${s}\x1b[0m` : s);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Supervisor {
  /** name → { name, kind, pid, logPath, exited: Promise, done, stopping } */
  procs = new Map();
  stopping = false;
  /** Called whenever the set of running children changes (run.mjs rewrites pids.json). */
  onChange = () => {};

  spawn(name, kind, cmd, args, { env, cwd, logPath }) {
    const fd = openSync(logPath, "a");
    writeSync(fd, `\n--- ${new Date().toISOString()} ${cmd} ${args.join(" ")}\n`);
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", fd, fd], detached: true });
    closeSync(fd);
    const p = { name, kind, pid: child.pid, logPath, done: false, stopping: false, code: null, signal: null };
    p.exited = new Promise((resolve) => {
      const finish = (code, signal) => {
        if (p.done) return;
        Object.assign(p, { done: true, code, signal });
        if (!p.stopping && !this.stopping) {
          console.error(red(`\n!!! ${kind} ${name} (pid ${p.pid}) exited unexpectedly (code ${code}, signal ${signal}); the others keep running.`));
          console.error(red(`!!! last lines of ${logPath}:`));
          console.error(tail(logPath, 12).replace(/^/gm, "    "));
        }
        this.onChange();
        resolve();
      };
      child.once("exit", finish);
      child.once("error", (e) => {
        writeSyncSafe(logPath, `could not start ${cmd}: ${e.message}\n`);
        finish(-1, null);
      });
    });
    this.procs.set(name, p);
    this.onChange();
    return p;
  }

  /** SIGTERM the group, SIGKILL after graceMs; true if it went within the grace period. */
  async stop(p, graceMs) {
    if (p.done) return true;
    p.stopping = true;
    signalGroup(p.pid, "SIGTERM");
    const inTime = await Promise.race([p.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!inTime) {
      console.error(red(`${p.kind} ${p.name} (pid ${p.pid}) did not stop within ${graceMs} ms: SIGKILL`));
      signalGroup(p.pid, "SIGKILL");
      await p.exited;
    }
    return inTime;
  }

  /** Stops every child of these kinds, in parallel. */
  async stopKinds(kinds, graceMs) {
    const ps = [...this.procs.values()].filter((p) => kinds.includes(p.kind));
    return (await Promise.all(ps.map((p) => this.stop(p, graceMs)))).every(Boolean);
  }

  /** Last resort (the runner itself is failing): SIGKILL every group still running, synchronously. */
  killAll() {
    for (const p of this.procs.values()) if (!p.done) signalGroup(p.pid, "SIGKILL");
  }

  running() {
    return [...this.procs.values()].filter((p) => !p.done);
  }
}

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

function writeSyncSafe(path, text) {
  try {
    const fd = openSync(path, "a");
    writeSync(fd, text);
    closeSync(fd);
  } catch {
    /* the message is on our stderr anyway */
  }
}

export function tail(path, lines) {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** A loopback port that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Can we listen on host:port right now? */
export function portFree(port, host) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** Poll until `probe()` is true; fail early (with its log) if `p` exits meanwhile. */
async function waitFor(p, what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (p.done) throw new Error(`${p.kind} ${p.name} exited (code ${p.code}) before ${what}; ${p.logPath}:\n${tail(p.logPath, 20)}`);
    if (await probe()) return;
    await sleep(150);
  }
  throw new Error(`${p.kind} ${p.name}: ${what} did not happen within ${timeoutMs / 1000} s; ${p.logPath}:\n${tail(p.logPath, 20)}`);
}

export function waitHttp(p, url, timeoutMs = 60_000) {
  return waitFor(p, `${url} answered`, timeoutMs, async () => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return res.ok;
    } catch {
      return false;
    }
  });
}

export function waitTcp(p, port, timeoutMs = 30_000) {
  const probe = () =>
    new Promise((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(false));
    });
  return waitFor(p, `port ${port} opened`, timeoutMs, probe);
}
