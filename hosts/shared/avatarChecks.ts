/**
 * What every host checks of an avatar upload before decoding it (step 1 and 2 in avatarImages.ts),
 * from the header alone. A module of its own so that a host can check uploads without loading an
 * image library at its start (hosts/bun/sharpImages.ts loads sharp on the first avatar; Jimp and
 * fast-png cost ~300 ms of every Bun node's start when imported with these checks).
 */
import { imageSize } from "image-size";
import { NexusError } from "../../protocol/errors.ts";

/** Types whose decoder is bundled; anything else is refused by its bytes. */
const ACCEPTED = new Set(["png", "jpg", "gif"]);

export interface AvatarLimits {
  /** Largest accepted canvas (width × height), checked from the header. */
  maxPixels: number;
}

/** 4096 × 4096: a 12-megapixel phone photo fits; decoded RGBA stays under 64 MiB (workerd has 128). */
export const DEFAULT_AVATAR_LIMITS: AvatarLimits = { maxPixels: 4096 * 4096 };

/** Type and canvas of an upload, from its bytes alone; refuses what no avatar may be. */
export function checkAvatarBytes(bytes: Uint8Array, limits: AvatarLimits = DEFAULT_AVATAR_LIMITS): { type: string; width: number; height: number } {
  let header: { width: number; height: number; type?: string };
  try {
    header = imageSize(bytes);
  } catch {
    throw new NexusError("bad_request", "not an image: send a PNG, JPEG or GIF");
  }
  if (!header.type || !ACCEPTED.has(header.type)) throw new NexusError("bad_request", `${header.type ?? "this"} images are not accepted: send a PNG, JPEG or GIF`);
  if (!(header.width > 0 && header.height > 0)) throw new NexusError("bad_request", "the image has no size");
  if (header.width * header.height > limits.maxPixels)
    throw new NexusError("bad_request", `the image is too large: at most ${limits.maxPixels} pixels`, { maxPixels: limits.maxPixels });
  return { type: header.type, width: header.width, height: header.height };
}
