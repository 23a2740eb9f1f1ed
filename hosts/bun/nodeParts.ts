/**
 * What differs between a single Bun node and a cluster node, behind one shape: storage, where
 * actors run, how sockets reach them, the rate limiter. startNode.ts builds the edge on top.
 */
import type { Server, WebSocketHandler } from "bun";
import { BunActorSystem } from "./BunActorSystem.ts";
import { bunSocketRouter, bunWebSocketHandler } from "./bunSockets.ts";
import type { ActorsClient } from "../../actors/api.ts";
import { openLibsql } from "./storage/libsqlSql.ts";
import type { Sql } from "../../actors/storage/sql.ts";
import type { AccountPlacement } from "../../edge/auth/accountServiceOptions.ts";
import type { NodeConfig } from "./config.ts";
import type { Host, RateLimiter, SocketRouter } from "../../edge/host.ts";
import { MemoryRateLimiter } from "../../edge/limit/memoryRateLimiter.ts";
import type { PromMetrics } from "./promMetrics.ts";
import { join } from "node:path";

export interface NodeParts {
  /** The actors' storage: conversations and inboxes (in a cluster, this region's primary). */
  sql: Sql & { stats: { transactions: number; batches: number }; close(): Promise<void> };
  /** Accounts, when they live apart from the actors (a cluster's one accounts home); else `sql`. */
  accountsSql?: Sql;
  /** How the account service reads, spends tickets and starts sessions, when not all in `accountsSql`
   *  (a cluster: a local replica, the region's own ticket ledger; hosts/cluster/accountsReplica.ts). */
  accounts?: AccountPlacement;
  actors: ActorsClient;
  /** The actors hosted in this process (null on an edge-only cluster node). */
  local: BunActorSystem | null;
  sockets: SocketRouter;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  websocket: WebSocketHandler<any>;
  limiter: RateLimiter;
  /** The server listens: hand its publish to whoever fans out. */
  listening(server: Server<unknown>): void;
  gauges(metrics: PromMetrics): void;
  /** How this node takes part in the attachment sweep (hosts/bun/attachmentSweep.ts): `gate` (a
   *  cluster's lease per region), and whether it may delete listed bytes without a row, which needs
   *  every row of the blob store in this node's Sql (one node: yes; a cluster's shared store: no). */
  sweep: { gate?: () => Promise<boolean>; orphans: boolean };
  /** Cluster mode: move a conversation's home to another region (Host.moveConversation). */
  moveConversation?: Host["moveConversation"];
  /** Cluster mode: move a user's inbox home to another region (Host.moveInbox). */
  moveInbox?: Host["moveInbox"];
  /** Cluster mode: home a user's inbox in this node's region at sign-up and login (Host.claimInboxHome). */
  claimInboxHome?: Host["claimInboxHome"];
  stop(): Promise<void>;
}

/** `npm start`: one libSQL file in DATA_DIR, every actor in this process. */
export async function singleNodeParts(config: NodeConfig): Promise<NodeParts> {
  const sql = await openLibsql(join(config.dataDir, "nexus.db"), { synchronous: config.sync, commitIntervalMs: config.commitIntervalMs });
  await BunActorSystem.migrate(sql);
  const actors = new BunActorSystem(sql, config.limits);
  return {
    sql,
    actors,
    local: actors,
    sockets: bunSocketRouter(),
    websocket: bunWebSocketHandler(actors, config.limits),
    limiter: new MemoryRateLimiter(),
    // Fan-out publishes once per conversation topic instead of one send per socket.
    listening: (server) => void (actors.publisher = (topic, frame) => void server.publish(topic, frame)),
    gauges: () => {},
    sweep: { orphans: true },
    async stop() {
      await actors.close();
      await sql.close();
    },
  };
}
