/**
 * Pictures made on the server, shared by user avatars (profiles.ts) and group pictures
 * (groupProfile.ts): the upload read and checked, cropped and resized to protocol/rest.ts AvatarSizes
 * by the host's ImageProcessor, and a stored size served with a long cache when the URL names the
 * current version. Each picture version is its own blob keys, so a new picture is a new URL.
 */
import type { Context } from "hono";
import { NexusError } from "../../protocol/errors.ts";
import { AvatarSizes } from "../../protocol/rest.ts";
import type { BlobStore, Host, ProcessedAvatar } from "../host.ts";
import type { AppEnv } from "../middleware/env.ts";
import { chargeUpload } from "./attachments.ts";

/** Largest picture upload accepted (also capped by limits.maxAttachmentBytes at the door). */
export const MAX_PICTURE_BYTES = 5 * 1024 * 1024;

/** The request's image bytes, checked and made into every size; `what` names it in errors. */
export async function readPicture(c: Context<AppEnv>, deps: Host, userId: string, what: string): Promise<ProcessedAvatar> {
  const images = deps.images;
  if (!images) throw new NexusError("bad_request", `this server cannot resize images, so ${what}s cannot be uploaded`);
  const max = Math.min(MAX_PICTURE_BYTES, deps.config.limits.maxAttachmentBytes);
  const tooLarge = () => new NexusError("payload_too_large", `a ${what} is at most ${max} bytes`, { maxBytes: max });
  const declared = Number(c.req.header("content-length") ?? NaN);
  if (declared > max) throw tooLarge();
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.byteLength === 0) throw new NexusError("bad_request", "empty upload: send the image bytes as the body");
  if (bytes.byteLength > max) throw tooLarge();
  chargeUpload(deps, userId, bytes.byteLength);
  return images.avatar(bytes, AvatarSizes);
}

/** Stores every size under `keyOf(size)`: bytes first, so a reader never sees a version without them. */
export async function storePicture(blobs: BlobStore, made: ProcessedAvatar, keyOf: (size: number) => string): Promise<void> {
  for (const size of AvatarSizes) await blobs.put(keyOf(size), made.sizes[size]!, made.contentType);
}

/** Best effort: a failure leaves unreferenced bytes, never a missing picture. */
export async function deletePicture(blobs: BlobStore, keyOf: (size: number) => string): Promise<void> {
  for (const size of AvatarSizes) await blobs.delete(keyOf(size)).catch(() => {});
}

/** Every size deleted or the failure thrown: for bytes that must go (a deleted account's), where
 *  the caller keeps the reference until this succeeds so that a retry finds them again. */
export async function erasePicture(blobs: BlobStore, keyOf: (size: number) => string): Promise<void> {
  await Promise.all(AvatarSizes.map((size) => blobs.delete(keyOf(size))));
}

/** One stored size of the current `version`; `asked` is the version the URL names, if any. */
export async function servePicture(blobs: BlobStore, key: string, version: string, size: string, asked: string | undefined, what: string): Promise<Response> {
  const blob = await blobs.get(key);
  if (!blob) throw new NexusError("not_found", `no ${what}`);
  return new Response(blob.body as BodyInit, {
    headers: {
      "content-type": "image/jpeg",
      "content-length": String(blob.size),
      // A versioned URL never changes; an unversioned one may at any upload.
      "cache-control": asked === version ? "private, max-age=31536000, immutable" : "private, no-cache",
      etag: `"${version}-${size}"`,
      "content-security-policy": "sandbox; default-src 'none'",
      "x-content-type-options": "nosniff",
    },
  });
}
