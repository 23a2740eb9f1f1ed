/**
 * infra/systemd/nexus.service stays in step with the code: its environment carries what npm start
 * adds (hosts/bun/runtimeEnv.mjs) and passes config validation, and its ExecStart (paths moved to
 * this checkout and a temp data folder) starts a node that answers /health and stops on its
 * KillSignal.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { bunRuntimeEnv } from "../../hosts/bun/runtimeEnv.mjs";
import { loadNodeConfig } from "../../hosts/bun/config.ts";
import { freePort, spawnLogged, tempDir, waitForHttp } from "../../scripts/lib/processes.mjs";

const ROOT = resolve(import.meta.dir, "../..");
const unit = readFileSync(resolve(ROOT, "infra/systemd/nexus.service"), "utf8");

/** `Key=value` lines of the [Service] section (repeatable keys keep every value). */
function service(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let inService = false;
  for (const raw of unit.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("[")) inService = line === "[Service]";
    if (!inService || line === "" || line.startsWith("#") || !line.includes("=")) continue;
    const i = line.indexOf("=");
    const k = line.slice(0, i);
    out.set(k, [...(out.get(k) ?? []), line.slice(i + 1)]);
  }
  return out;
}

function environment(s: Map<string, string[]>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of s.get("Environment") ?? []) {
    const i = v.indexOf("=");
    env[v.slice(0, i)] = v.slice(i + 1);
  }
  return env;
}

test("the unit's environment holds the runtime defaults and is a valid configuration", () => {
  const s = service();
  const env = environment(s);
  for (const [k, v] of Object.entries(bunRuntimeEnv)) expect(env[k]).toBe(v);
  const config = loadNodeConfig(env);
  expect(config.port).toBe(8787);
  expect(config.dataDir).toBe("/var/lib/nexus");
  // The data folder is the state directory systemd makes: the one path the sandboxed service may write.
  expect(s.get("ProtectSystem")).toEqual(["strict"]);
  expect(s.get("StateDirectory")!.map((d) => `/var/lib/${d}`)).toEqual([env.DATA_DIR!]);
  expect(s.get("KillSignal")).toEqual(["SIGTERM"]);
});

test("the unit's ExecStart, run from this checkout, serves a node that stops on SIGTERM", async () => {
  const s = service();
  const workDir = s.get("WorkingDirectory")![0]!;
  const [cmd, ...args] = s.get("ExecStart")![0]!.split(/\s+/);
  const port = await freePort();
  const dataDir = tempDir("nexus-infra-");
  const proc = spawnLogged(cmd!.replace(workDir, ROOT), args, {
    name: "systemd-unit-node",
    cwd: ROOT,
    env: { ...environment(s), PORT: String(port), DATA_DIR: dataDir },
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/health`, { proc, timeoutMs: 30_000 });
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toMatchObject({ ok: true });
    expect(proc.log()).not.toContain("MIMALLOC_PURGE_DELAY is not set");
    process.kill(proc.pid, "SIGTERM");
    const exit = await Promise.race([proc.exited, Bun.sleep(20_000).then(() => null)]);
    expect(exit).not.toBeNull();
    expect(exit!.code).toBe(0);
  } finally {
    await proc.stop();
  }
}, 60_000);
