/**
 * Request body caps: JSON routes get config.bodyLimitBytes (64 KiB by default), attachment uploads
 * get limits.maxAttachmentBytes. Over the cap → 413 `payload_too_large` before the handler runs.
 */
import { isGroupPicturePath } from "../routes/groupProfile.ts";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { NexusError } from "../../protocol/errors.ts";
import type { EdgeConfig } from "../config.ts";

const tooLarge = (max: number) => () => {
  throw new NexusError("payload_too_large", `request body over ${max} bytes`, { maxBytes: max });
};

export function jsonBodyLimit(config: Pick<EdgeConfig, "bodyLimitBytes">): MiddlewareHandler {
  return bodyLimit({ maxSize: config.bodyLimitBytes, onError: tooLarge(config.bodyLimitBytes) });
}

/** For POST /v1/attachments (app.ts applies it; exported for the route module too). */
export function attachmentBodyLimit(config: Pick<EdgeConfig, "limits">): MiddlewareHandler {
  const max = config.limits.maxAttachmentBytes;
  return bodyLimit({ maxSize: max, onError: tooLarge(max) });
}

/** Picks the cap by path: attachment uploads vs everything else. */
export function bodyLimits(config: Pick<EdgeConfig, "bodyLimitBytes" | "limits">): MiddlewareHandler {
  const json = jsonBodyLimit(config);
  const attachments = attachmentBodyLimit(config);
  // An avatar (PUT /v1/me/avatar) or a group picture is image bytes too; its own smaller cap is
  // checked by its route (routes/pictures.ts).
  const isUpload = (path: string) => path === "/v1/attachments" || path.startsWith("/v1/attachments/") || path === "/v1/me/avatar" ||
    isGroupPicturePath(path);
  return (c, next) => (isUpload(c.req.path) ? attachments : json)(c, next);
}
