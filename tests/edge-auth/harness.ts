/**
 * Builds the real edge app over a real libSQL file for this suite, with the real in-process actors
 * (admin lock closes sockets through them). Sockets are not used here: touching them throws.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLibsql } from "../../hosts/bun/storage/libsqlSql.ts";
import { BunActorSystem } from "../../hosts/bun/BunActorSystem.ts";
import { createApp } from "../../edge/app.ts";
import { AccountService, type AccountServiceOptions } from "../../edge/auth/accounts.ts";
import type { Sql } from "../../actors/storage/sql.ts";
import { loadConfig, type EdgeConfig } from "../../edge/config.ts";
import type { Host } from "../../edge/host.ts";
import { MemoryRateLimiter } from "../../edge/limit/memoryRateLimiter.ts";
import { PromMetrics } from "../../hosts/bun/promMetrics.ts";
import { DiskBlobStore } from "../../hosts/bun/diskBlobStore.ts";
import { ScryptHasher } from "../../hosts/shared/scryptPasswords.ts";

export const notUsed = (what: string) =>
  new Proxy({}, { get: (_t, prop) => (prop === "then" ? undefined : () => { throw new Error(`${what}.${String(prop)}: not used in this suite`); }) }) as any;

export interface Harness {
  app: ReturnType<typeof createApp>;
  deps: Host;
  accounts: AccountService;
  config: EdgeConfig;
  clock: { t: number };
  /** How many users the database holds (for "no side effect" checks). */
  userCount(): Promise<number>;
  close(): Promise<void>;
  dir: string;
}

export async function makeHarness(
  env: Record<string, string> = {},
  opts: { ready?: () => Promise<boolean>; accounts?: (sql: Sql) => Partial<AccountServiceOptions> } = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "nexus-edge-auth-"));
  const config = loadConfig({ DATA_DIR: dir, JWT_SECRET: "test-secret-test-secret-test-secret-0123", ...env });
  const sql = await openLibsql(join(dir, "nexus.db"));
  const clock = { t: Date.now() };
  const accounts = new AccountService({ sql, config, hasher: new ScryptHasher(), now: () => clock.t, ...opts.accounts?.(sql) });
  await accounts.init();
  await BunActorSystem.migrate(sql);
  const actors = new BunActorSystem(sql, config.limits);
  const deps: Host = {
    config,
    accounts,
    actors,
    sockets: notUsed("sockets"),
    blobs: new DiskBlobStore(join(dir, "attachments")),
    limiter: new MemoryRateLimiter(),
    metrics: new PromMetrics({ defaultMetrics: true }),
    ready: opts.ready ?? (async () => (await sql.first("SELECT 1 AS ok")) !== undefined),
  };
  return {
    app: createApp(deps),
    deps,
    accounts,
    config,
    clock,
    dir,
    userCount: async () => Number((await sql.first<{ n: number }>("SELECT count(*) AS n FROM users"))!.n),
    close: async () => {
      await actors.close();
      await sql.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** JSON request helper: returns status, parsed body (or null) and headers. */
export async function call(
  h: Pick<Harness, "app">,
  method: string,
  path: string,
  opts: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined && !headers["content-type"]) headers["content-type"] = "application/json";
  const res = await h.app.request(path, { method, headers, body });
  const text = await res.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, body: json, headers: res.headers };
}

export async function register(h: Harness, username: string, password = "correct horse battery") {
  const r = await call(h, "POST", "/v1/auth/register", { body: { username, password } });
  if (r.status !== 201) throw new Error(`register ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { user: { id: string; username: string; role: string }; accessToken: string; refreshToken: string };
}
