/**
 * One Nexus node on Bun: Hono edge, static web client, and the actors — all in this process on one
 * libSQL file (the default), or as one node of a cluster when the cluster host passes its parts
 * (hosts/cluster/server.ts: `startNode(config, { parts: (c) => clusterParts(c, cluster) })`).
 * Used by `npm start` (hosts/bun/server.ts) and by tests and benchmarks that start a node in-process.
 */
import { mkdirSync } from "node:fs";
import type { Server } from "bun";
import { join, resolve } from "node:path";
import { socketStats } from "../../actors/socketStats.ts";
import { SearchIndexer } from "../../actors/storage/searchIndexer.ts";
import { createApp } from "../../edge/app.ts";
import { errorBody } from "../../edge/middleware/errors.ts";
import { AccountService } from "../../edge/auth/accounts.ts";
import { DiskBlobStore } from "./diskBlobStore.ts";
import { PeriodicSweep } from "./attachmentSweep.ts";
import { AttachmentBlobs } from "../../actors/storage/attachmentBlobs.ts";
import type { NodeConfig } from "./config.ts";
import type { BlobStore, Host } from "../../edge/host.ts";
import { PromMetrics } from "./promMetrics.ts";
import { ensureJwtSecret } from "./jwtSecret.ts";
import { singleNodeParts, type NodeParts } from "./nodeParts.ts";
import { staticFiles } from "./staticFiles.ts";
import { CappedSockets } from "./cappedSockets.ts";
import { ScryptHasher } from "../shared/scryptPasswords.ts";
import { ensureVapidKeys } from "../../edge/push/vapidKeys.ts";
import { WebPushSender } from "../../edge/push/webPushSender.ts";
import { SharpImages } from "./sharpImages.ts";
import { phaseDone, startSummary } from "./startPhases.ts";

const API_PREFIXES = ["/v1/", "/health", "/ready", "/metrics"];

export interface NexusNode {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  webRoot?: string;
  /** The actor system, sockets, storage and limiter: one file on one node unless a host says otherwise. */
  parts?: (config: NodeConfig) => Promise<NodeParts>;
  /** Attachment bytes (hosts/bun/blobConfig.ts picks them from BLOB_STORE); default DATA_DIR/attachments. */
  blobs?: BlobStore;
}

export async function startNode(config: NodeConfig, opts: StartOptions = {}): Promise<NexusNode> {
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  config = { ...config, dataDir, jwtSecret: ensureJwtSecret(dataDir, config.jwtSecret) };

  const parts = await (opts.parts ?? singleNodeParts)(config);
  const { sql, actors } = parts;
  // Rows the index has not taken yet (a restart, or a whole database after an upgrade) are indexed
  // in the background from now on, not only when a search asks.
  SearchIndexer.for(sql).resume();
  // Accounts have one home in a cluster (parts.accountsSql), read from a local replica (parts.accounts);
  // on one node they share the file.
  const accounts = new AccountService({ sql: parts.accountsSql ?? sql, ...parts.accounts, config, hasher: new ScryptHasher() });
  // Web Push: one VAPID key pair per deployment, kept with the accounts (edge/push/vapidKeys.ts).
  // Both at once: in a cluster each is a round trip or two to the accounts' home, maybe a WAN away.
  const [, vapid] = await Promise.all([accounts.init(), ensureVapidKeys(parts.accountsSql ?? sql, config.vapid)]);
  phaseDone("accounts init");
  if (parts.local) parts.local.push = new WebPushSender(vapid, config.vapid.subject);
  const metrics = new PromMetrics();
  metrics.gauge("nexus_conversation_actors", "Conversation actors in memory", [], () => parts.local?.stats.conversations ?? 0);
  metrics.gauge("nexus_inbox_actors", "Inbox actors in memory", [], () => parts.local?.stats.inboxes ?? 0);
  parts.gauges(metrics);
  metrics.gauge("nexus_slow_consumer_drops", "Sockets closed with 4008: their unsent backlog passed maxSocketBufferBytes", [], () => socketStats.slowConsumerDrops);
  metrics.gauge("nexus_storage_transactions", "libSQL write transactions since start (group commits)", [], () => sql.stats.transactions);
  metrics.gauge("nexus_storage_statements", "libSQL statements written since start", [], () => sql.stats.batches);
  // The index thread runs at low priority: under sustained load it trails, and searches wait for it.
  metrics.gauge("nexus_search_unindexed_rows", "Stored events not yet in the full-text index", [], () => SearchIndexer.for(sql).waiting);

  const deps: Host = {
    config,
    accounts,
    actors,
    sockets: parts.sockets,
    blobs: opts.blobs ?? new DiskBlobStore(join(dataDir, "attachments")),
    limiter: parts.limiter,
    metrics,
    images: new SharpImages(),
    moveConversation: parts.moveConversation,
    moveInbox: parts.moveInbox,
    claimInboxHome: parts.claimInboxHome,
    vapidPublicKey: vapid.publicKey,
    ready: async () => {
      try {
        await sql.first("SELECT 1");
        return true;
      } catch {
        return false;
      }
    },
  };
  // Bytes of deleted messages go once the delete is committed (actors/storage/attachmentBlobs.ts);
  // unreferenced uploads are swept (attachmentSweep.ts): by one node, or per region behind a lease.
  const attachmentBlobs = AttachmentBlobs.for(sql);
  attachmentBlobs.blobs = deps.blobs;
  attachmentBlobs.referenceWindowMs = config.attachmentTtlMs;
  const blobs = deps.blobs as BlobStore & { entries?: DiskBlobStore["entries"] };
  const sweep = new PeriodicSweep(sql, parts.sweep.orphans ? blobs : { delete: (key) => blobs.delete(key) },
    { ttlMs: config.attachmentTtlMs }, { intervalMs: config.attachmentSweepMs, gate: parts.sweep.gate });
  sweep.start();
  metrics.gauge("nexus_attachment_sweep_runs", "Attachment sweeps this node ran (in a cluster, one node per region per interval)", [], () => sweep.runs);
  const app = createApp(deps);
  const sockets = new CappedSockets(config.limits.maxSocketsPerUser);
  const serveStatic = staticFiles(opts.webRoot ?? resolve(import.meta.dir, "../../web/dist"), config);

  const server = Bun.serve({
    port: config.port,
    hostname: process.env.HOST ?? "0.0.0.0",
    // Never Bun's development error page (it shows file paths, source and stacks), whatever NODE_ENV says.
    development: false,
    async fetch(req, server) {
      const path = new URL(req.url).pathname;
      if (!API_PREFIXES.some((p) => path.startsWith(p))) {
        const res = await serveStatic(req);
        if (res) return res;
      }
      return app.fetch(req, { server: sockets.guard(server) });
    },
    websocket: sockets.handler(parts.websocket),
    // Whatever escaped the app (the static file handler, an upgrade): logged here, and the client
    // gets the same bare 500 as from the app's own error handler, no internals.
    error(e) {
      console.error("[http] request failed:", e);
      return Response.json(errorBody("internal", "internal error"), { status: 500, headers: { "cache-control": "no-store" } });
    },
  });
  parts.listening(server as Server<unknown>);
  phaseDone("listen");
  console.log(`[start] ${startSummary()}`);

  return {
    url: `http://localhost:${server.port}`,
    port: server.port!,
    async stop() {
      server.stop(true);
      await sweep.stop();
      await parts.stop();
    },
  };
}
