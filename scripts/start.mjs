#!/usr/bin/env node
/**
 * `npm start`: make sure npm dependencies are installed and the web client is built, then run the
 * Bun host (hosts/bun/server.ts) in the foreground. The environment passes through (PORT, DATA_DIR,
 * JWT_SECRET, NEXUS_* …), with the runtime defaults of hosts/bun/runtimeEnv.mjs where it is silent; SIGINT/SIGTERM/SIGHUP are forwarded so the server can
 * shut down cleanly, and its exit code becomes ours.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { withBunRuntimeEnv } from "../hosts/bun/runtimeEnv.mjs";
import { ROOT, ensureNpm, ensureWebBuild } from "./ensure.mjs";

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
const child = spawn(bun, [entry, ...process.argv.slice(2)], { cwd: ROOT, stdio: "inherit", env: withBunRuntimeEnv(process.env) });
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => child.kill(sig));
child.on("error", (e) => {
  console.error(`[start] could not run ${bun}: ${e.message}`);
  process.exit(1);
});
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 + (signalNumbers[signal] ?? 1) : 1)));

const signalNumbers = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
