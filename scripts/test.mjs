#!/usr/bin/env node
/**
 * `npm test`: install what is missing (npm dependencies, Debian nats-server / redis-server /
 * chromium), build the web client if stale, then run every bun:test suite under tests/.
 * Extra arguments go to `bun test` (e.g. `npm test -- tests/support`). Bun's own summary lines are
 * the last output, and its exit code is ours.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT, ensureNpm, ensureSystemPackages, ensureWebBuild } from "./ensure.mjs";

try {
  ensureNpm();
  ensureSystemPackages();
} catch (e) {
  console.error(`[test] ${e.message}`);
  process.exit(1);
}
// A broken web build fails the run, but the suites still run so every failure is visible at once.
let webBuildFailed = false;
try {
  ensureWebBuild();
} catch (e) {
  webBuildFailed = true;
  console.error(`[test] ${e.message}; running the suites anyway, the run will fail`);
}

const extra = process.argv.slice(2);
// bun ignores bunfig's [test] timeout; the flag gives every suite the intended 60 s default.
const args = ["test", "--timeout", "60000", ...(extra.some((a) => !a.startsWith("-")) ? extra : ["./tests", ...extra])];
const bun = join(ROOT, "node_modules", ".bin", "bun");
const child = spawn(bun, args, { cwd: ROOT, stdio: "inherit", env: process.env });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("error", (e) => {
  console.error(`[test] could not run ${bun}: ${e.message}`);
  process.exit(1);
});
child.on("exit", (code, signal) => process.exit(code || (signal || webBuildFailed ? 1 : 0)));
