/**
 * Builds Workers with the real wrangler (`deploy --dry-run`, offline) and runs them in real workerd
 * through the Miniflare class, listening on a free loopback port so real HTTP and WebSocket clients
 * can reach them. Storage is in memory and disappears with `dispose()`.
 */
import { Miniflare, type MiniflareOptions } from "miniflare";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");
export const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
export const COMPATIBILITY_DATE = "2026-04-26";
export const COMPATIBILITY_FLAGS = ["nodejs_compat"];

const quietEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" };

export interface Built {
  dir: string;
  /** The bundled entry module. */
  script: string;
  /** wrangler's own output, for assertions on what it says about bindings. */
  log: string;
  cleanup(): void;
}

/** `wrangler deploy --dry-run --outdir <tmp>` with a given config file (and `--env`, "" = top level).
 *  Throws with wrangler's output. */
export async function buildWithConfig(configPath: string, env = ""): Promise<Built> {
  const dir = mkdtempSync(join(tmpdir(), "nexus-cf-build-"));
  // Spawned through node (the bin's shebang): wrangler is a Node program.
  const proc = Bun.spawn([WRANGLER, "deploy", "--dry-run", "--outdir", dir, "--config", configPath, `--env=${env}`], {
    cwd: ROOT,
    env: quietEnv,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const log = out + err;
  if (code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`wrangler build failed (${code}):\n${log}`);
  }
  const script = readdirSync(dir).find((f) => f.endsWith(".js"));
  if (!script) throw new Error(`wrangler produced no .js in ${dir}:\n${log}`);
  return { dir, script: join(dir, script), log, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Build a test fixture: writes a throwaway wrangler.toml naming `main` and its DO classes. */
export async function buildFixture(main: string, durableObjects: Record<string, string>): Promise<Built> {
  const cfgDir = mkdtempSync(join(tmpdir(), "nexus-cf-cfg-"));
  const classes = Object.values(durableObjects);
  const toml = [
    `name = "nexus-fixture"`,
    `main = ${JSON.stringify(resolve(ROOT, main))}`,
    `compatibility_date = "${COMPATIBILITY_DATE}"`,
    `compatibility_flags = ${JSON.stringify(COMPATIBILITY_FLAGS)}`,
    ...Object.entries(durableObjects).flatMap(([binding, cls]) => [
      `[[durable_objects.bindings]]`,
      `name = "${binding}"`,
      `class_name = "${cls}"`,
    ]),
    `[[migrations]]`,
    `tag = "v1"`,
    `new_sqlite_classes = ${JSON.stringify(classes)}`,
  ].join("\n");
  const cfg = join(cfgDir, "wrangler.toml");
  writeFileSync(cfg, toml);
  try {
    return await buildWithConfig(cfg);
  } finally {
    rmSync(cfgDir, { recursive: true, force: true });
  }
}

export interface Running {
  mf: Miniflare;
  /** http://127.0.0.1:PORT/ */
  url: URL;
  stop(): Promise<void>;
}

/** Run a built script in workerd on a free loopback port (port 0: the OS picks). */
export async function run(built: Built, options: Omit<MiniflareOptions, "modules" | "scriptPath" | "script">): Promise<Running> {
  const mf = new Miniflare({
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: COMPATIBILITY_FLAGS,
    host: "127.0.0.1",
    port: 0,
    ...options,
    modules: [{ type: "ESModule", path: built.script }],
    modulesRoot: built.dir,
  } as MiniflareOptions);
  const url = await mf.ready;
  return { mf, url, stop: () => mf.dispose() };
}

/** The Worker's Durable Object and R2 bindings, as wrangler.toml declares them, for Miniflare. */
export const NEXUS_OBJECTS = {
  durableObjects: {
    CONVERSATION: { className: "ConversationDO", useSQLite: true },
    INBOX: { className: "InboxDO", useSQLite: true },
    DIRECTORY: { className: "DirectoryDO", useSQLite: true },
    RATE_LIMIT: { className: "RateLimitDO", useSQLite: true },
  },
  r2Buckets: { ATTACHMENTS: "nexus-attachments" },
};
