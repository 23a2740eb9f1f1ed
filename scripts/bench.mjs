#!/usr/bin/env node
/**
 * `npm run bench`: make sure the npm dependencies and redis-server (for the Socket.IO + Redis
 * baseline) are installed, then run bench/run.ts under Bun. Quick mode (< 2 min) by default;
 * `npm run bench -- --full` for the full run. Other flags pass through, e.g.
 * `--targets=nexus,socketio`, `--scenarios=fanout,saturation`, `--rounds=3`, `--verbose`, `--no-write`.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT, ensureNpm } from "./ensure.mjs";

function hasRedis() {
  const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/bin", "/usr/local/bin"];
  return dirs.some((d) => d && existsSync(join(d, "redis-server")));
}

function ensureRedis() {
  if (hasRedis()) return;
  console.error("[bench] redis-server is missing (needed by the Socket.IO + Redis baseline); installing it with apt-get");
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update"], ["install", "-y", "--no-install-recommends", "redis-server"]]) {
    const r = root
      ? spawnSync("apt-get", args, { stdio: "inherit", env })
      : spawnSync("sudo", ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", ...args], { stdio: "inherit" });
    if (r.status !== 0) throw new Error(`apt-get ${args[0]} failed; install redis-server yourself (apt-get install redis-server) and run again`);
  }
  if (!hasRedis()) throw new Error("redis-server installed but not found on PATH");
}

try {
  ensureNpm();
  ensureRedis();
} catch (e) {
  console.error(`[bench] ${e.message}`);
  process.exit(1);
}

const args = process.argv.slice(2);
if (!args.some((a) => a === "--full" || a === "--quick" || a === "--tiny")) args.unshift("--quick");
const bun = join(ROOT, "node_modules", ".bin", "bun");
const child = spawn(bun, [join(ROOT, "bench", "run.ts"), ...args], { cwd: ROOT, stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("error", (e) => {
  console.error(`[bench] could not run ${bun}: ${e.message}`);
  process.exit(1);
});
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
