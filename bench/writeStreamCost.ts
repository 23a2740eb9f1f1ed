/**
 * sqld's CPU per group commit on the write stream (writeStream.ts), to weigh what a transaction's
 * steps cost the server (e.g. the RELEASE/SAVEPOINT pair that keeps pipelined commits in order).
 * One local sqld, no proxy, commitIntervalMs 0; each transaction one batch of two statements (a
 * message's insert and its conversation's upsert), awaited one after another after 300 to warm up.
 * sqld's CPU is /proc/<pid>/stat utime+stime around `n` transactions (Linux only).
 * `bun bench/writeStreamCost.ts [n]` (default 3000); to compare commits, run it A B A B from two
 * worktrees (the box is noisy).
 */
import { readFileSync } from "node:fs";
import { startSqld } from "../tests/support/servers.ts";
import { openRemoteLibsql } from "../hosts/cluster/storage/remoteLibsql.ts";

const N = Number(process.argv[2] ?? 3000);
const TICKS_PER_SECOND = 100; // CLK_TCK on Linux
const cpuTicks = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]);
};

const server = await startSqld();
try {
  const s = await openRemoteLibsql(server.url, { commitIntervalMs: 0 });
  await s.migrate(["CREATE TABLE IF NOT EXISTS m (id INTEGER PRIMARY KEY, conv TEXT, body TEXT)", "CREATE TABLE IF NOT EXISTS c (conv TEXT PRIMARY KEY, last INTEGER)"]);
  let i = 0;
  const commit = () => {
    i++;
    return s.batch([
      { sql: "INSERT INTO m (conv, body) VALUES (?, ?)", args: ["c1", `message ${i}`] },
      { sql: "INSERT INTO c (conv, last) VALUES (?, ?) ON CONFLICT(conv) DO UPDATE SET last = excluded.last", args: ["c1", i] },
    ]);
  };
  for (let k = 0; k < 300; k++) await commit();
  const cpu0 = cpuTicks(server.proc.pid);
  const wall0 = performance.now();
  for (let k = 0; k < N; k++) await commit();
  const cpuMs = ((cpuTicks(server.proc.pid) - cpu0) * 1000) / TICKS_PER_SECOND;
  const wallMs = performance.now() - wall0;
  console.log(JSON.stringify({ transactions: N, sqldCpuMsPerTransaction: +(cpuMs / N).toFixed(4), wallMsPerTransaction: +(wallMs / N).toFixed(4) }));
  await s.close();
} finally {
  await server.stop();
}
