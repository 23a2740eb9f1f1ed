/**
 * Attachments: upload the bytes (raw body, up to limits.maxAttachmentBytes) to a conversation, then
 * reference the returned id in a send. Downloads are checked against membership by the actor.
 * These routes carry the bytes through the server with every store; presignedAttachments.ts adds
 * direct-to-store uploads and downloads where the store can sign URLs (S3).
 */
import { Hono } from "hono";
import { z } from "zod";
import { AttachmentUploadQuery, ConversationId, NexusError, type Attachment } from "../../protocol/index.ts";
import type { Host } from "../host.ts";
import type { AppEnv } from "../middleware/env.ts";
import { validate } from "../middleware/validate.ts";
import { callerOf } from "./callerOf.ts";
import { randomId } from "../../protocol/ids.ts";
import { ByteQuota } from "../limit/byteQuota.ts";
import { sweepMarginMs } from "../../actors/storage/attachmentSweep.ts";
import type { Caller } from "../../actors/ports.ts";

export const AttachmentId = z.string().regex(/^a_[A-Za-z0-9_-]{8,40}$/, "invalid attachment id");
export const DownloadParam = z.object({ id: ConversationId, attachmentId: AttachmentId });
export const ContentType = z.string().min(1).max(255).regex(/^[\w.+-]+\/[\w.+-]+$/, "Content-Type must be type/subtype");
/** Types a browser may render inline; everything else downloads. */
const INLINE = /^(image\/(png|jpeg|gif|webp|avif)|video\/(mp4|webm)|audio\/(mpeg|ogg|webm|wav)|application\/pdf)$/;

export const blobKey = (conversationId: string, id: string) => `${conversationId}/${id}`;

/** How a browser should treat an attachment's bytes: inline for safe media types, else a download. */
export function presentation(a: Attachment): { contentType: string; disposition: string; inline: boolean } {
  const inline = INLINE.test(a.type);
  return {
    contentType: inline ? a.type : "application/octet-stream",
    disposition: `${inline ? "inline" : "attachment"}; filename*=UTF-8''${encodeURIComponent(a.name)}`,
    inline,
  };
}

/** The bytes through this server (disk store, or any store when the client cannot reach it). */
export async function serveAttachment(deps: Host, a: Attachment): Promise<Response> {
  const blob = await deps.blobs.get(blobKey(a.conversationId, a.id));
  if (!blob) throw new NexusError("not_found", "attachment bytes are missing");
  const p = presentation(a);
  return new Response(blob.body as BodyInit, {
    headers: {
      "content-type": p.contentType,
      "content-length": String(blob.size),
      "content-disposition": p.disposition,
      "cache-control": "private, max-age=3600",
      "content-security-policy": "sandbox; default-src 'none'",
      "x-content-type-options": "nosniff",
    },
  });
}

/**
 * Counts an upload as not yet sent in the uploader's inbox (actors/inbox/pendingUploads.ts) before
 * its bytes are stored, or refuses it (429) past PENDING_UPLOAD_BYTES; it stays counted until a
 * message references it or the sweep may take it (reference window + margin).
 */
export async function reservePending(deps: Host, caller: Caller, conversationId: string, id: string, size: number): Promise<void> {
  const ttl = deps.config.attachmentTtlMs;
  await deps.actors.inbox(caller.userId).reserveUpload(caller, { conversationId, id, size, expiresAt: Date.now() + ttl + sweepMarginMs(ttl) },
    deps.config.pendingUploadBytes);
}

/** One upload quota per app, shared by these routes and the presigned ones (presignedAttachments.ts). */
const quotas = new WeakMap<Host, ByteQuota>();

/** Charges an upload to its uploader's hourly quota, or refuses it (429 + Retry-After). */
export function chargeUpload(deps: Host, userId: string, bytes: number): void {
  let quota = quotas.get(deps);
  if (!quota) quotas.set(deps, (quota = new ByteQuota(deps.config.uploadBytesPerHour)));
  const waitMs = quota.take(`upload:${userId}`, bytes);
  if (waitMs > 0)
    throw new NexusError("rate_limited", `upload quota reached (${deps.config.uploadBytesPerHour} bytes per hour)`, { retryAfter: Math.ceil(waitMs / 1000) });
}

export function attachmentRoutes(deps: Host): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const charge = (userId: string, bytes: number) => chargeUpload(deps, userId, bytes);

  r.post("/v1/attachments", validate("query", AttachmentUploadQuery), async (c) => {
    const q = c.req.valid("query");
    const typeHeader = (c.req.header("content-type") ?? "application/octet-stream").split(";")[0]!.trim().toLowerCase();
    const type = ContentType.safeParse(typeHeader);
    if (!type.success) throw new NexusError("bad_request", "Content-Type must be type/subtype");
    const caller = callerOf(c);
    const conv = deps.actors.conversation(q.conversationId);
    await conv.info(caller); // members only, before reading the body
    const tooLarge = () => new NexusError("payload_too_large", `attachments are at most ${deps.config.limits.maxAttachmentBytes} bytes`);
    // A declared length is checked and charged before the body is read, so a client over its quota
    // cannot make the server read its bytes; without one (chunked), after reading.
    const declared = Number(c.req.header("content-length") ?? NaN);
    if (declared > deps.config.limits.maxAttachmentBytes) throw tooLarge();
    const id = randomId("a", 15);
    if (declared > 0) {
      charge(caller.userId, declared);
      await reservePending(deps, caller, q.conversationId, id, declared);
    }
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.byteLength === 0) throw new NexusError("bad_request", "empty upload");
    if (bytes.byteLength > deps.config.limits.maxAttachmentBytes) throw tooLarge();
    if (!(declared > 0)) {
      charge(caller.userId, bytes.byteLength);
      await reservePending(deps, caller, q.conversationId, id, bytes.byteLength);
    }
    await deps.blobs.put(blobKey(q.conversationId, id), bytes, type.data);
    const a = await conv.addAttachment(caller, { id, name: q.name, type: type.data, size: bytes.byteLength });
    return c.json(a, 201);
  });

  r.get("/v1/conversations/:id/attachments/:attachmentId", validate("param", DownloadParam), async (c) => {
    const p = c.req.valid("param");
    const a = await deps.actors.conversation(p.id).attachment(callerOf(c), p.attachmentId);
    return serveAttachment(deps, a);
  });

  return r;
}
