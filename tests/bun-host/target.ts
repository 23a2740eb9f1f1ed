/**
 * The Bun host as a conformance Target: `bun hosts/bun/server.ts` on a free port with a fresh
 * DATA_DIR; stopped by PID; `restart` is a crash (SIGKILL) and a new process on the same DATA_DIR.
 */
import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { freePort, spawnLogged, tempDir, waitForHttp, type Spawned } from "../../scripts/lib/processes.mjs";
import type { Target } from "../conformance/target.ts";
import { withBunRuntimeEnv } from "../../hosts/bun/runtimeEnv.mjs";

const ROOT = resolve(import.meta.dir, "../..");
const BUN = resolve(ROOT, "node_modules/.bin/bun");

async function launch(port: number, dataDir: string, env: Record<string, string>): Promise<Spawned> {
  const proc = spawnLogged(BUN, ["hosts/bun/server.ts"], {
    name: `bun-host-${port}`,
    cwd: ROOT,
    // As npm start runs it (hosts/bun/runtimeEnv.mjs).
    env: withBunRuntimeEnv({ NODE_ENV: "test", ...env, PORT: String(port), DATA_DIR: dataDir }),
  });
  await waitForHttp(`http://127.0.0.1:${port}/health`, { proc, timeoutMs: 30_000 });
  return proc;
}

export async function startBunHost(env: Record<string, string> = {}): Promise<Target> {
  const dataDir = tempDir("nexus-bun-host-");
  let port = await freePort();
  let proc = await launch(port, dataDir, env);
  const target: Target = {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await proc.stop();
    },
    // The default disk blob store (hosts/bun/blobConfig.ts): DATA_DIR/attachments/{blobs,meta}/<key>.
    async blobKeys(prefix) {
      const keys = new Set<string>();
      for (const [dir, suffix] of [["blobs", ""], ["meta", ".json"]] as const) {
        const root = join(dataDir, "attachments", dir);
        const names = await readdir(root, { recursive: true }).catch(() => [] as string[]);
        for (const name of names) if (name.endsWith(suffix)) keys.add(name.slice(0, name.length - suffix.length));
      }
      return [...keys].filter((k) => k.startsWith(prefix));
    },
    async restart() {
      await proc.kill();
      try {
        proc = await launch(port, dataDir, env);
      } catch {
        // The old port can be briefly unavailable; the suite re-reads `url` after a restart.
        port = await freePort();
        proc = await launch(port, dataDir, env);
        target.url = `http://127.0.0.1:${port}`;
      }
    },
  };
  return target;
}
