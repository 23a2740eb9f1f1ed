/**
 * Avatars on a Bun node with sharp (libvips, a prebuilt binary: no install script needed): the same
 * checks as every host (hosts/shared/avatarChecks.ts checkAvatarBytes), then rotated by its EXIF
 * orientation, cropped to the centred square, resized, flattened on white and re-encoded as JPEG
 * without metadata (sharp drops it unless asked to keep it). libvips works off the JavaScript
 * thread, so a 12-megapixel photo does not stall the node the way a pure-JS decoder would.
 *
 * sharp (and libvips with it) is loaded on the first avatar, not at the node's start: loading it
 * took 100–300 ms of every start (docs/cluster.md "What a node's restart costs"), for uploads that are rare.
 */
import { NexusError } from "../../protocol/errors.ts";
import type { ImageProcessor, ProcessedAvatar } from "../../edge/host.ts";
import { checkAvatarBytes, DEFAULT_AVATAR_LIMITS, type AvatarLimits } from "../shared/avatarChecks.ts";

export class SharpImages implements ImageProcessor {
  constructor(private readonly limits: AvatarLimits = DEFAULT_AVATAR_LIMITS) {}

  async avatar(bytes: Uint8Array, sizes: readonly number[]): Promise<ProcessedAvatar> {
    checkAvatarBytes(bytes, this.limits);
    const { default: sharp } = await import("sharp");
    const out: Record<number, Uint8Array> = {};
    try {
      for (const size of sizes)
        out[size] = new Uint8Array(
          await sharp(bytes, { limitInputPixels: this.limits.maxPixels, animated: false })
            .rotate()
            .resize(size, size, { fit: "cover", position: "centre" })
            .flatten({ background: "#ffffff" })
            .jpeg({ quality: 85 })
            .toBuffer(),
        );
    } catch {
      throw new NexusError("bad_request", "the image could not be read (damaged or unsupported)");
    }
    return { contentType: "image/jpeg", sizes: out };
  }
}
