/**
 * The set-up commands: `npm start` (scripts/start.mjs) serves the Bun host with the environment
 * passed through and stops when signalled; scripts/ensure.mjs is a fast no-op once everything is
 * installed.
 */
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { freePort, spawnLogged, tempDir, waitForHttp, waitForTcp } from "../../scripts/lib/processes.mjs";

const ROOT = resolve(import.meta.dir, "../..");

test("npm start serves the Bun host on PORT with DATA_DIR and exits on SIGTERM", async () => {
  const port = await freePort();
  const dataDir = tempDir("nexus-start-");
  const proc = spawnLogged("node", ["scripts/start.mjs"], { name: "npm-start", cwd: ROOT, env: { PORT: String(port), DATA_DIR: dataDir } });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/health`, { proc, timeoutMs: 60_000 });
    const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json();
    expect(health).toMatchObject({ ok: true });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^nexus_storage_transactions \d+$/m);
    expect(metrics).toMatch(/^nexus_slow_consumer_drops \d+$/m);
    expect(metrics).toMatch(/^nexus_search_unindexed_rows 0$/m);
    // The full-text index is a file of its own beside the database (hosts/bun/storage/libsqlSearch.ts).
    expect(existsSync(join(dataDir, "nexus.db"))).toBe(true);
    expect(existsSync(join(dataDir, "nexus.search.db"))).toBe(true);
    // Signal only the node wrapper: it must forward the signal so the server goes away too.
    process.kill(proc.pid, "SIGTERM");
    const exit = await Promise.race([proc.exited, Bun.sleep(20_000).then(() => undefined)]);
    expect(exit).toBeDefined();
    await expect(waitForTcp(port, { timeoutMs: 300 })).rejects.toThrow();
    expect(existsSync(dataDir)).toBe(true);
  } finally {
    await proc.stop();
  }
}, 90_000);

test("scripts/ensure.mjs --npm is a quick no-op when node_modules matches the lockfile", () => {
  const r = spawnSync("node", [join(ROOT, "scripts/ensure.mjs"), "--npm"], { cwd: ROOT, encoding: "utf8" });
  expect(r.status).toBe(0);
  expect(r.stderr).toContain("everything is in place");
  expect(r.stderr).not.toContain("npm ci");
  expect(r.stderr).not.toContain("npm install");
});
