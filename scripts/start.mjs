#!/usr/bin/env node
/**
 * `npm start`: make sure npm dependencies are installed and the web client is built, then run the
 * Bun host (hosts/bun/server.ts) in the foreground. The environment passes through (PORT, DATA_DIR,
 * JWT_SECRET, NEXUS_* …), with the runtime defaults of hosts/bun/runtimeEnv.mjs where it is silent; SIGINT/SIGTERM/SIGHUP are forwarded so the server can
 * shut down cleanly, and its exit code becomes ours.
 */
import { join } from "node:path";
import { withBunRuntimeEnv } from "../hosts/bun/runtimeEnv.mjs";
import { ROOT, ensureNpm, ensureWebBuild } from "./ensure.mjs";
import { runInForeground } from "./lib/processes.mjs";

try {
  ensureNpm();
} catch (e) {
  console.error(`[start] ${e.message}`);
  process.exit(1);
}
try {
  ensureWebBuild();
} catch (e) {
  // The API works without the web client; say so and keep going.
  console.error(`[start] ${e.message}; starting without a fresh web client`);
}

const bun = join(ROOT, "node_modules", ".bin", "bun");
// A single node by default; a cluster node (hosts/cluster) when NATS_URL says to join one.
const entry = process.env.NATS_URL ? join("hosts", "cluster", "server.ts") : join("hosts", "bun", "server.ts");
process.exit(await runInForeground("start", bun, [entry, ...process.argv.slice(2)], { cwd: ROOT, env: withBunRuntimeEnv(process.env), signals: ["SIGINT", "SIGTERM", "SIGHUP"] }));
