/**
 * Attachments straight between the client and the object store, where the store signs URLs
 * (BlobStore.presigned, i.e. S3): the bytes never pass through a node.
 *  1. POST /v1/conversations/:id/attachments/upload-url {name, type, size} → a presigned PUT and the
 *     attachment id (members only);
 *  2. the client PUTs the bytes to that URL with the headers given;
 *  3. POST /v1/conversations/:id/attachments/:attachmentId/confirm {name} → the Attachment, recorded
 *     in the conversation once the stored object's HEAD shows a type and size within the limits,
 *     uploaded by the caller. Then the id is sent like any other.
 * GET /v1/conversations/:id/attachments/:attachmentId/download → 302 to a short-lived presigned GET,
 * after the membership check; with a store that cannot sign (disk), the bytes themselves.
 * The through-server routes (attachments.ts) keep working with every store.
 */
import { Hono } from "hono";
import { z } from "zod";
import { AttachmentConfirmBody, AttachmentUploadUrlBody, ConversationId, isNexusError, NexusError, type Attachment, type AttachmentUploadUrl } from "../../protocol/index.ts";
import { randomId } from "../../protocol/ids.ts";
import type { Host, PresignedBlobs } from "../host.ts";
import type { AppEnv } from "../middleware/env.ts";
import { validate } from "../middleware/validate.ts";
import { AttachmentId, blobKey, chargeUpload, reservePending, ContentType, DownloadParam, presentation, serveAttachment } from "./attachments.ts";
import { callerOf } from "./callerOf.ts";

/** Long enough for a slow upload of the largest attachment to start; a started PUT may finish later. */
const UPLOAD_URL_SECONDS = 15 * 60;
/** Downloads redirect each time, so the URL only has to outlive the redirect being followed. */
const DOWNLOAD_URL_SECONDS = 5 * 60;

export function presignedAttachmentRoutes(deps: Host): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const signer = (): PresignedBlobs => {
    if (!deps.blobs.presigned)
      throw new NexusError("not_found", "this server's attachment store has no presigned uploads: upload through POST /v1/attachments");
    return deps.blobs.presigned;
  };

  r.post("/v1/conversations/:id/attachments/upload-url", validate("param", z.object({ id: ConversationId })), validate("json", AttachmentUploadUrlBody), async (c) => {
    const { id: conversationId } = c.req.valid("param");
    const body = c.req.valid("json");
    const presigned = signer();
    const max = deps.config.limits.maxAttachmentBytes;
    if (body.size > max) throw new NexusError("payload_too_large", `attachments are at most ${max} bytes`);
    const caller = callerOf(c);
    await deps.actors.conversation(conversationId).info(caller); // members only
    // The declared size is what the signature lets through, so it is what the quota is charged.
    chargeUpload(deps, caller.userId, body.size);
    const attachmentId = randomId("a", 15);
    await reservePending(deps, caller, conversationId, attachmentId, body.size);
    const signed = await presigned.uploadUrl(blobKey(conversationId, attachmentId), {
      contentType: body.type,
      size: body.size,
      uploader: caller.userId,
      expiresInSeconds: UPLOAD_URL_SECONDS,
    });
    const res: AttachmentUploadUrl = { attachmentId, method: "PUT", url: signed.url, headers: signed.headers, expiresAt: Date.now() + UPLOAD_URL_SECONDS * 1000 };
    return c.json(res, 200, { "cache-control": "no-store" });
  });

  r.post(
    "/v1/conversations/:id/attachments/:attachmentId/confirm",
    validate("param", z.object({ id: ConversationId, attachmentId: AttachmentId })),
    validate("json", AttachmentConfirmBody),
    async (c) => {
      const p = c.req.valid("param");
      const { name } = c.req.valid("json");
      const presigned = signer();
      const caller = callerOf(c);
      const conv = deps.actors.conversation(p.id);
      // Members only (this throws for others); a repeated confirm answers what was recorded.
      const known = await conv.attachment(caller, p.attachmentId).catch((e: unknown) => {
        if (isNexusError(e) && e.code === "not_found") return null;
        throw e;
      });
      if (known) return c.json(known, 200);

      const key = blobKey(p.id, p.attachmentId);
      const head = await presigned.head(key);
      if (!head) throw new NexusError("not_found", "nothing was uploaded for this attachment id (or its upload URL expired)");
      // Someone else's upload in flight: not this caller's to record, nor to delete.
      if (head.uploader !== caller.userId) throw new NexusError("forbidden", "this upload was made by someone else");
      const reject = async (code: "bad_request" | "payload_too_large", message: string): Promise<never> => {
        await deps.blobs.delete(key); // never recorded, so nothing else would ever delete it
        throw new NexusError(code, message);
      };
      const max = deps.config.limits.maxAttachmentBytes;
      if (head.size === 0) await reject("bad_request", "empty upload");
      if (head.size > max) await reject("payload_too_large", `attachments are at most ${max} bytes`);
      const type = ContentType.safeParse(head.contentType.split(";")[0]!.trim().toLowerCase());
      if (!type.success) await reject("bad_request", "the uploaded Content-Type must be type/subtype");
      const a: Attachment = await conv.addAttachment(caller, { id: p.attachmentId, name, type: type.data!, size: head.size });
      return c.json(a, 201);
    },
  );

  r.get("/v1/conversations/:id/attachments/:attachmentId/download", validate("param", DownloadParam), async (c) => {
    const p = c.req.valid("param");
    const a = await deps.actors.conversation(p.id).attachment(callerOf(c), p.attachmentId);
    if (!deps.blobs.presigned) return serveAttachment(deps, a);
    const { contentType, disposition } = presentation(a);
    const url = await deps.blobs.presigned.downloadUrl(blobKey(a.conversationId, a.id), { contentType, disposition, expiresInSeconds: DOWNLOAD_URL_SECONDS });
    // The redirect is per request and per member: no cache may keep it for someone else.
    return new Response(null, { status: 302, headers: { location: url, "cache-control": "private, no-store" } });
  });

  return r;
}
