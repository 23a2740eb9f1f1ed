#!/usr/bin/env node
/**
 * `npm run bench`: make sure the npm dependencies and redis-server (for the Socket.IO + Redis
 * baseline; nats-server too for the cluster targets) are installed, then run bench/run.ts under
 * Bun. Quick mode (< 2 min) by default; `npm run bench -- --full` for the full run. Other flags pass through, e.g.
 * `--targets=nexus,socketio`, `--scenarios=fanout,saturation`, `--rounds=3`, `--verbose`, `--no-write`.
 * `npm run bench -- --regions [--wan=40]`: cross-region ack and delivery latency (bench/regions.ts).
 * `npm run bench -- --pipelined [--wan=40]`: group commits across a slow link (bench/pipelinedCommits.ts).
 */
import { join } from "node:path";
import { ROOT, ensureNpm, ensureSystemPackages } from "./ensure.mjs";
import { runInForeground } from "./lib/processes.mjs";

const args = process.argv.slice(2);
try {
  ensureNpm();
  // redis-server for the Socket.IO + Redis baseline; nats-server too for the cluster targets.
  const cluster = args.some((a) => a.startsWith("--targets=") && /nexus(Cluster|Regions)/.test(a));
  ensureSystemPackages(cluster ? ["redis-server", "nats-server"] : ["redis-server"]);
} catch (e) {
  console.error(`[bench] ${e.message}`);
  process.exit(1);
}

const bun = join(ROOT, "node_modules", ".bin", "bun");
// `npm run bench -- --regions [--wan=40]`: the cross-region costs (bench/regions.ts), a run of its own.
if (args.includes("--regions")) {
  ensureSystemPackages(["redis-server", "nats-server"]);
  process.exit(await runInForeground("bench", bun, [join(ROOT, "bench", "regions.ts"), ...args.filter((a) => a !== "--regions")], { cwd: ROOT }));
}
// `npm run bench -- --pipelined [--wan=40]`: group commits in flight across a slow link, a run of its own.
if (args.includes("--pipelined")) {
  process.exit(await runInForeground("bench", bun, [join(ROOT, "bench", "pipelinedCommits.ts"), ...args.filter((a) => a !== "--pipelined")], { cwd: ROOT }));
}
if (!args.some((a) => a === "--full" || a === "--quick" || a === "--tiny")) args.unshift("--quick");
process.exit(await runInForeground("bench", bun, [join(ROOT, "bench", "run.ts"), ...args], { cwd: ROOT }));
