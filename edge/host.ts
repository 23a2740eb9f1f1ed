/**
 * The one contract between the runtime-free edge app (edge/app.ts) and a runtime: each folder under
 * hosts/ implements `Host` once (hosts/bun/startNode.ts for one process, the same with the cluster's
 * parts for hosts/cluster, hosts/cloudflare/worker.ts for Workers and Durable Objects), like a
 * RivetKit driver. A host is done when the conformance suite (tests/conformance/) passes against it.
 */
import type { Context } from "hono";
import type { ActorsClient } from "../actors/api.ts";
import type { Resume } from "../actors/ports.ts";
import type { Accounts } from "./auth/accounts.ts";
import type { EdgeConfig } from "./config.ts";

/** Blob storage for attachments: local disk by default, R2/S3 behind the same interface. */
export interface BlobStore {
  put(key: string, data: ArrayBuffer | Uint8Array, contentType: string): Promise<void>;
  get(key: string): Promise<{ body: ReadableStream | ArrayBuffer; size: number; contentType: string } | null>;
  delete(key: string): Promise<void>;
  /** Present when clients can reach the store directly (S3): bytes then skip the server through
   *  short-lived presigned URLs (edge/routes/presignedAttachments.ts). Absent (disk, R2 binding):
   *  uploads and downloads go through the server only. */
  presigned?: PresignedBlobs;
}

/** Presigned URLs of an object store. Keys are those of BlobStore; no method checks membership. */
export interface PresignedBlobs {
  /** A PUT the client sends itself with exactly `headers`; the signature binds the content type,
   *  the size and the uploader, so the stored object is what the server agreed to. */
  uploadUrl(key: string, o: { contentType: string; size: number; uploader: string; expiresInSeconds: number }): Promise<{ url: string; headers: Record<string, string> }>;
  /** A GET answered with these response headers (type and disposition are part of the signature). */
  downloadUrl(key: string, o: { contentType: string; disposition: string; expiresInSeconds: number }): Promise<string>;
  /** What was actually stored (checked before a presigned upload is recorded), or null. */
  head(key: string): Promise<{ size: number; contentType: string; uploader?: string } | null>;
}

/** An avatar made on the server: both sizes of protocol/rest.ts AvatarSizes, one content type. */
export interface ProcessedAvatar {
  contentType: string;
  sizes: Record<number, Uint8Array>;
}

/** Server-side image work (hosts/shared/avatarImages.ts on every host). */
export interface ImageProcessor {
  /** Sniffs the type from the bytes, checks size and pixel count, crops to a square, resizes to
   *  each of `sizes` and re-encodes (which drops metadata); a bad image is a `bad_request`. */
  avatar(bytes: Uint8Array, sizes: readonly number[]): Promise<ProcessedAvatar>;
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

/** Hands a WebSocket upgrade to the actor that owns the target; host-specific. `session`: the
 *  sign-in session (refresh family) of the ticket, kept with the socket (Connection.session) so a
 *  logout closes that session's sockets. */
export interface SocketRouter {
  conversation(c: Context, conversationId: string, userId: string, resume: Resume, session?: string): Promise<Response>;
  inbox(c: Context, userId: string, session?: string): Promise<Response>;
}

/** What a runtime gives the edge app: actors, sockets, storage for accounts, blobs, limits, metrics. */
export interface Host {
  config: EdgeConfig;
  accounts: Accounts;
  actors: ActorsClient;
  sockets: SocketRouter;
  blobs: BlobStore;
  limiter: RateLimiter;
  metrics: Metrics;
  /** Avatar resizing; without it avatar uploads are refused (501-like `bad_request`, docs/api.md). */
  images?: ImageProcessor;
  /**
   * Where a request comes from, as the label a new account's home is stored under (Cloudflare: a
   * location hint from request.cf). Optional: hosts without placement leave it out.
   */
  homeOf?(req: Request): string | undefined;
  /** The VAPID public key browsers subscribe with (edge/push/vapidKeys.ts); absent: no Web Push. */
  vapidPublicKey?: string;
  /** Is storage reachable (for /ready). */
  ready(): Promise<boolean>;
  /**
   * Move a conversation's home to another region (cluster mode, an account admin's command;
   * hosts/cluster/homeMoves.ts). Hosts without regions leave it out.
   */
  moveConversation?(id: string, region: string): Promise<MoveResult>;
  /** Move a user's inbox home to another region (cluster mode, the same steps; Host.moveConversation). */
  moveInbox?(userId: string, region: string): Promise<MoveResult>;
  /**
   * The user themselves signed up or logged in through this host: a host with regions homes their
   * inbox in its own region, unless it has a home already (cluster mode). Without this an inbox
   * would be homed wherever it is first touched, e.g. in the region where someone else created a
   * group with the user. Hosts without regions leave it out (Cloudflare places an inbox by the home
   * written into its user id at sign-up).
   */
  claimInboxHome?(userId: string): Promise<void>;
}

/** What a move answers: from where, to where, and how long the actor's writes paused. */
export interface MoveResult {
  from: string;
  to: string;
  /** From the moment writes stopped to the broadcast of the new home. */
  pausedMs: number;
}
