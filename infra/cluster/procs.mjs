/**
 * The supervision policy of infra/cluster/run.mjs over scripts/lib/processes.mjs (which spawns,
 * logs, waits and stops): children by name and kind, stopped kind by kind in the runner's order,
 * and a child that exits while nobody asked it to is reported loudly, with the end of its log;
 * the others keep running.
 */
import { spawnLogged, stopProcess } from "../../scripts/lib/processes.mjs";

const red = (s) => (process.stderr.isTTY ? `\x1b[1;31m${s}\x1b[0m` : s);
const lastLines = (text, n) => text.trimEnd().split("\n").slice(-n).join("\n") || "(no log)";

export class Supervisor {
  /** name → { name, kind, pid, logPath, proc, done, stopping } */
  procs = new Map();
  stopping = false;
  /** Called whenever the set of running children changes (run.mjs rewrites pids.json). */
  onChange = () => {};

  spawn(name, kind, cmd, args, { env, cwd, logPath }) {
    const proc = spawnLogged(cmd, args, { name, env, cwd, logPath });
    const p = { name, kind, pid: proc.pid, logPath, proc, done: false, stopping: false };
    proc.exited.then(({ code, signal }) => {
      p.done = true;
      if (!p.stopping && !this.stopping) {
        console.error(red(`\n!!! ${kind} ${name} (pid ${p.pid}) exited unexpectedly (code ${code}, signal ${signal}); the others keep running.`));
        console.error(red(`!!! last lines of ${logPath}:`));
        console.error(lastLines(proc.log(), 12).replace(/^/gm, "    "));
      }
      this.onChange();
    });
    this.procs.set(name, p);
    this.onChange();
    return p;
  }

  /** SIGTERM the group, SIGKILL after graceMs; true if it went within the grace period. */
  async stop(p, graceMs) {
    if (p.done) return true;
    p.stopping = true;
    const inTime = await stopProcess(p.pid, p.proc.exited, graceMs);
    if (!inTime) console.error(red(`${p.kind} ${p.name} (pid ${p.pid}) did not stop within ${graceMs} ms: SIGKILL`));
    return inTime;
  }

  /** Stops every child of these kinds, in parallel. */
  async stopKinds(kinds, graceMs) {
    const ps = [...this.procs.values()].filter((p) => kinds.includes(p.kind));
    return (await Promise.all(ps.map((p) => this.stop(p, graceMs)))).every(Boolean);
  }

  /** Last resort (the runner itself is failing): SIGKILL every group still running. */
  killAll() {
    for (const p of this.procs.values()) if (!p.done) void p.proc.kill();
  }

  running() {
    return [...this.procs.values()].filter((p) => !p.done);
  }
}
