/**
 * The supervision policy of infra/cluster/run.mjs over scripts/lib/processes.mjs (which spawns,
 * logs, waits and stops): children by name and kind, stopped kind by kind in the runner's order,
 * and a child that exits while nobody asked it to is reported loudly, with the end of its log;
 * the others keep running. Children spawned with `restart` (the Nexus nodes) are started again
 * after such an exit, as systemd's `Restart=on-failure` does for infra/systemd/nexus.service: a
 * node exits 1 on purpose when it must fence itself, and expects its supervisor to bring it back.
 */
import { spawnLogged, stopProcess } from "../../scripts/lib/processes.mjs";

const red = (s) => (process.stderr.isTTY ? `\x1b[1;31m${s}\x1b[0m` : s);
const lastLines = (text, n) => text.trimEnd().split("\n").slice(-n).join("\n") || "(no log)";

/** Restart backoff: the first restart after `firstMs`, doubling per quick failure up to `maxMs`;
 *  a child that stayed up `stableMs` starts again from `firstMs`. */
export const RESTART_DEFAULTS = { firstMs: 500, maxMs: 10_000, stableMs: 30_000 };

export class Supervisor {
  /** name → { name, kind, pid, logPath, proc, done, stopping } */
  procs = new Map();
  stopping = false;
  /** Called whenever the set of running children changes (run.mjs rewrites pids.json). */
  onChange = () => {};

  /** `restart`: true (RESTART_DEFAULTS) or { firstMs, maxMs, stableMs }: start it again whenever it
   *  exits unasked with a failure (a non-zero code or a signal). */
  spawn(name, kind, cmd, args, { env, cwd, logPath, restart }) {
    const policy = restart ? { ...RESTART_DEFAULTS, ...(restart === true ? {} : restart) } : null;
    const p = { name, kind, pid: 0, logPath, proc: null, done: false, stopping: false, restarts: 0, timer: null };
    let delay = policy?.firstMs ?? 0;
    const launch = () => {
      p.timer = null;
      const proc = spawnLogged(cmd, args, { name, env, cwd, logPath });
      const startedAt = Date.now();
      Object.assign(p, { proc, pid: proc.pid, done: false });
      proc.exited.then(({ code, signal }) => {
        p.done = true;
        const unasked = !p.stopping && !this.stopping;
        const again = unasked && policy && (code !== 0 || signal !== null);
        if (unasked) {
          const next = again ? ` restarting in ${delay} ms (restart ${p.restarts + 1})` : " the others keep running";
          console.error(red(`\n!!! ${kind} ${name} (pid ${p.pid}) exited unexpectedly (code ${code}, signal ${signal});${next}.`));
          console.error(red(`!!! last lines of ${logPath}:`));
          console.error(lastLines(proc.log(), 12).replace(/^/gm, "    "));
        }
        if (again) {
          if (Date.now() - startedAt >= policy.stableMs) delay = policy.firstMs;
          p.restarts++;
          p.timer = setTimeout(launch, delay);
          delay = Math.min(policy.maxMs, delay * 2);
        }
        this.onChange();
      });
      this.onChange();
    };
    launch();
    this.procs.set(name, p);
    this.onChange();
    return p;
  }

  /** SIGTERM the group, SIGKILL after graceMs; true if it went within the grace period. A restart
   *  that is waiting for its backoff is cancelled. */
  async stop(p, graceMs) {
    p.stopping = true;
    if (p.timer) clearTimeout(p.timer);
    p.timer = null;
    if (p.done) return true;
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
    for (const p of this.procs.values()) {
      if (p.timer) clearTimeout(p.timer);
      if (!p.done) void p.proc.kill();
    }
  }

  running() {
    return [...this.procs.values()].filter((p) => !p.done);
  }
}
