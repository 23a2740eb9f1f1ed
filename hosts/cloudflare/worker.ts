/**
 * Cloudflare entry (wrangler.toml `main`). The same edge app as on Bun (edge/app.ts), with deps
 * built from bindings: actors are Durable Objects reached over RPC, sockets are forwarded to them,
 * accounts live in the DirectoryDO, attachments in R2.
 *
 * Per-isolate state (honest about what a Worker can hold): the deps are built once per isolate; the
 * rate limiter is in memory per isolate (a client spread over many isolates gets more than the
 * configured rate; use Cloudflare's rate limiting rules for a global cap); metrics are per isolate.
 */
import { createApp } from "../../edge/app.ts";
import { loadConfig, type EdgeConfig } from "../../edge/config.ts";
import type { EdgeDeps } from "../../edge/host.ts";
import { AccountService } from "../../edge/auth/accounts.ts";
import { MemoryRateLimiter } from "../../edge/limit/memoryRateLimiter.ts";
import { TextMetrics } from "../../edge/metrics/textMetrics.ts";
import { DoActorsClient } from "./actorsClient.ts";
import { DoSocketRouter } from "./socketRouter.ts";
import { R2BlobStore } from "./r2BlobStore.ts";
import { RemoteSql } from "./remoteSql.ts";
import { stringVars, type Env } from "./env.ts";
import { directoryRpc } from "./stubs.ts";
import { ScryptHasher } from "../shared/scryptPasswords.ts";

export { ConversationDO } from "./ConversationDO.ts";
export { InboxDO } from "./InboxDO.ts";
export { DirectoryDO } from "./DirectoryDO.ts";

interface Isolate {
  app: ReturnType<typeof createApp>;
  /** accounts.init(): migrations in the DirectoryDO; retried on the next request if it failed. */
  init: () => Promise<void>;
}

function buildIsolate(env: Env): Isolate {
  const config: EdgeConfig = loadConfig(stringVars(env));
  if (config.jwtSecret.length < 32) throw new Error("JWT_SECRET is not set: run `wrangler secret put JWT_SECRET` (at least 32 characters)");
  const sql = new RemoteSql(() => directoryRpc(env));
  const accounts = new AccountService({ sql, config, hasher: new ScryptHasher() });
  const deps: EdgeDeps = {
    config,
    accounts,
    actors: new DoActorsClient(env),
    sockets: new DoSocketRouter(env),
    blobs: new R2BlobStore(env.ATTACHMENTS),
    limiter: new MemoryRateLimiter(),
    metrics: new TextMetrics(),
    ready: async () => (await sql.first<{ ok: number }>("SELECT 1 AS ok"))?.ok === 1,
  };
  let initialized: Promise<void> | null = null;
  return {
    app: createApp(deps),
    init: () =>
      (initialized ??= accounts.init().catch((e) => {
        initialized = null;
        throw e;
      })),
  };
}

/** The env object is stable within an isolate; rebuild only if the runtime hands us a new one. */
const isolates = new WeakMap<Env, Isolate>();

export default {
  async fetch(req: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    let isolate = isolates.get(env);
    try {
      if (!isolate) isolates.set(env, (isolate = buildIsolate(env)));
      await isolate.init();
    } catch (e) {
      console.error("[worker] startup failed:", e);
      const message = e instanceof Error ? e.message : String(e);
      return Response.json({ error: { code: "storage_unavailable", message } }, { status: 503 });
    }
    return isolate.app.fetch(req, env, ctx);
  },
} satisfies ExportedHandler<Env>;
