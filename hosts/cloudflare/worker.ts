/**
 * Cloudflare entry (wrangler.toml `main`). The same edge app as on Bun (edge/app.ts), with deps
 * built from bindings: actors are Durable Objects reached over RPC, sockets are forwarded to them,
 * accounts live in the DirectoryDO, attachments in R2.
 *
 * Accounts are spread over NEXUS_DIRECTORY_SHARDS DirectoryDOs (edge/auth/shardedAccounts.ts); rate
 * limits live in one RateLimitDO per key, so they hold across isolates and locations; a new
 * account's home is the location hint of its sign-up request (placement.ts).
 * Per-isolate state: the deps are built once per isolate; metrics are per isolate.
 */
import { createApp } from "../../edge/app.ts";
import { loadConfig, type EdgeConfig } from "../../edge/config.ts";
import type { Host } from "../../edge/host.ts";
import { ShardedAccounts } from "../../edge/auth/shardedAccounts.ts";
import { TextMetrics } from "../../edge/metrics/textMetrics.ts";
import { DoActorsClient } from "./actorsClient.ts";
import { DoSocketRouter } from "./socketRouter.ts";
import { R2BlobStore } from "./r2BlobStore.ts";
import { RemoteSql } from "./remoteSql.ts";
import { stringVars, type Env } from "./env.ts";
import { directoryRpc } from "./stubs.ts";
import { deploymentOf } from "./deployment.ts";
import { DoRateLimiter } from "./doRateLimiter.ts";
import { homeFromCf, type CfLocation } from "./placement.ts";
import { ScryptHasher } from "../shared/scryptPasswords.ts";
import { JimpImages } from "../shared/avatarImages.ts";

export { ConversationDO } from "./ConversationDO.ts";
export { InboxDO } from "./InboxDO.ts";
export { DirectoryDO } from "./DirectoryDO.ts";
export { RateLimitDO } from "./RateLimitDO.ts";

interface Isolate {
  app: ReturnType<typeof createApp>;
  /** accounts.init(): migrations in the DirectoryDOs; retried on the next request if it failed. */
  init: () => Promise<void>;
}

function buildIsolate(env: Env): Isolate {
  const config: EdgeConfig = loadConfig(stringVars(env));
  if (config.jwtSecret.length < 32) throw new Error("JWT_SECRET is not set: run `wrangler secret put JWT_SECRET` (at least 32 characters)");
  const { directoryShards } = deploymentOf(env); // throws on an invalid NEXUS_* Cloudflare setting
  const shards = Array.from({ length: directoryShards }, (_, i) => new RemoteSql(() => directoryRpc(env, i)));
  const accounts = new ShardedAccounts({ shards, config, hasher: new ScryptHasher() });
  const sql = shards[0]!;
  const deps: Host = {
    config,
    accounts,
    actors: new DoActorsClient(env),
    sockets: new DoSocketRouter(env),
    blobs: new R2BlobStore(env.ATTACHMENTS),
    limiter: new DoRateLimiter(env),
    metrics: new TextMetrics(),
    images: new JimpImages(),
    homeOf: (req) => homeFromCf((req as { cf?: CfLocation }).cf),
    // Only with both VAPID secrets set (InboxDO sends with them: doEnv.ts pushSenderFrom).
    vapidPublicKey: config.vapid.privateKey ? config.vapid.publicKey : undefined,
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
