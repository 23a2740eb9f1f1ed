#!/usr/bin/env node
/**
 * `npm test`: install what is missing (npm dependencies, Debian nats-server / redis-server /
 * chromium), build the web client if stale, then run every bun:test suite under tests/.
 * Extra arguments go to `bun test` (e.g. `npm test -- tests/support`). Bun's own summary lines are
 * the last output, and its exit code is ours.
 */
import { join } from "node:path";
import { ROOT, ensureNpm, ensureSystemPackages, ensureWebBuild } from "./ensure.mjs";
import { runInForeground } from "./lib/processes.mjs";

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
const code = await runInForeground("test", bun, args, { cwd: ROOT });
process.exit(code || (webBuildFailed ? 1 : 0));
