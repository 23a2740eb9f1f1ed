/**
 * Everything the edge app (edge/app.ts) needs, injected by the host entry:
 * hosts/bun/server.ts (npm start, Bun) or hosts/cloudflare/worker.ts (Cloudflare).
 */
import type { Context } from "hono";
import type { ActorsClient } from "../actors/api.ts";
import type { AccountService } from "./auth/accounts.ts";
import type { EdgeConfig } from "./config.ts";

/** Blob storage for attachments: local disk by default, R2/S3 behind the same interface. */
export interface BlobStore {
  put(key: string, data: ArrayBuffer | Uint8Array, contentType: string): Promise<void>;
  get(key: string): Promise<{ body: ReadableStream | ArrayBuffer; size: number; contentType: string } | null>;
  delete(key: string): Promise<void>;
}

/** Fixed-window / token-bucket limiter; memory on one node, Redis in cluster mode. */
export interface RateLimiter {
  /** true when allowed; consumes one token of `key`. */
  take(key: string, perMinute: number): Promise<boolean>;
}

export interface Metrics {
  httpRequest(method: string, route: string, status: number, seconds: number): void;
  /** Prometheus exposition text and its content type. */
  render(): Promise<{ body: string; contentType: string }>;
}

/** Hands a WebSocket upgrade to the actor that owns the target; host-specific. */
export interface SocketRouter {
  conversation(c: Context, conversationId: string, userId: string, resume: { after?: number; epoch?: string }): Promise<Response>;
  inbox(c: Context, userId: string): Promise<Response>;
}

export interface EdgeDeps {
  config: EdgeConfig;
  accounts: AccountService;
  actors: ActorsClient;
  sockets: SocketRouter;
  blobs: BlobStore;
  limiter: RateLimiter;
  metrics: Metrics;
  /** Is storage reachable (for /ready). */
  ready(): Promise<boolean>;
}
