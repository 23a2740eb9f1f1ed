/**
 * Avatars on the server, on every host: pure JavaScript (Jimp for JPEG/GIF, crop, resize and the
 * JPEG encoder; fast-png for PNG; image-size's header reader), so Bun, cluster nodes and workerd run
 * the same code with no native binary (the Bun host swaps in sharp: hosts/bun/sharpImages.ts, with
 * the same checks). PNG goes through fast-png because Jimp's PNG decoder (pngjs) subclasses node:zlib
 * the pre-ES6 way, which workerd's zlib classes refuse.
 *  1. The type is read from the bytes (never the client's Content-Type): PNG, JPEG or GIF.
 *  2. Width × height come from the header and are checked before anything is decoded, so a small
 *     file that claims a huge canvas (a decompression bomb) costs nothing.
 *  3. Cropped to the centred square, resized to each size, flattened on white and re-encoded as
 *     JPEG: only pixels survive, so EXIF (location, camera), ICC and comments are gone.
 */
import { createJimp } from "@jimp/core";
import gif from "@jimp/js-gif";
import jpeg from "@jimp/js-jpeg";
import { Buffer } from "node:buffer";
import { convertIndexedToRgb, decode as decodePng } from "fast-png";
import { methods as cover } from "@jimp/plugin-cover";
import { methods as crop } from "@jimp/plugin-crop";
import { methods as resize } from "@jimp/plugin-resize";
import { NexusError } from "../../protocol/errors.ts";
import type { ImageProcessor, ProcessedAvatar } from "../../edge/host.ts";
import { checkAvatarBytes, DEFAULT_AVATAR_LIMITS, type AvatarLimits } from "./avatarChecks.ts";

export { checkAvatarBytes, DEFAULT_AVATAR_LIMITS, type AvatarLimits };

const Jimp = createJimp({ formats: [jpeg, gif], plugins: [crop, resize, cover] });

/** Pure JavaScript, for hosts without a native image library (workerd). A 12-megapixel PNG takes
 *  seconds of CPU here; hosts/bun uses sharp (libvips) instead. */
export class JimpImages implements ImageProcessor {
  constructor(private readonly limits: AvatarLimits = DEFAULT_AVATAR_LIMITS) {}

  async avatar(bytes: Uint8Array, sizes: readonly number[]): Promise<ProcessedAvatar> {
    const header = checkAvatarBytes(bytes, this.limits);
    let image: InstanceType<typeof Jimp>;
    try {
      image =
        header.type === "png"
          ? new Jimp(pngBitmap(bytes))
          : ((await Jimp.fromBuffer(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer)) as InstanceType<typeof Jimp>);
    } catch {
      throw new NexusError("bad_request", "the image could not be read (damaged or unsupported)");
    }
    // Decoded size must match the header: a lying header must not get past the pixel check.
    if (image.bitmap.width * image.bitmap.height > this.limits.maxPixels) throw new NexusError("bad_request", "the image is too large");
    const side = Math.min(image.bitmap.width, image.bitmap.height);
    image.crop({ x: Math.floor((image.bitmap.width - side) / 2), y: Math.floor((image.bitmap.height - side) / 2), w: side, h: side });
    const out: Record<number, Uint8Array> = {};
    for (const size of [...sizes].sort((a, b) => b - a)) {
      const scaled = image.clone().resize({ w: size, h: size });
      const flat = new Jimp({ width: size, height: size, color: 0xffffffff });
      flat.composite(scaled, 0, 0);
      out[size] = new Uint8Array(await flat.getBuffer("image/jpeg", { quality: 85 }));
    }
    return { contentType: "image/jpeg", sizes: out };
  }
}

/** A PNG as 8-bit RGBA pixels (palette, grey, grey+alpha, RGB and 16-bit channels widened or cut). */
function pngBitmap(bytes: Uint8Array): { width: number; height: number; data: Buffer } {
  const png = decodePng(bytes);
  let data: ArrayLike<number> = png.data;
  let channels = png.channels;
  if (png.palette) {
    data = convertIndexedToRgb(png);
    channels = png.palette[0]?.length ?? 3;
  } else if (png.depth === 16) {
    data = Uint8Array.from(png.data as Uint16Array, (v) => v >> 8);
  } else if (png.depth !== 8) {
    throw new Error(`grey PNGs of ${png.depth} bits are not supported`);
  }
  const n = png.width * png.height;
  const rgba = Buffer.alloc(n * 4);
  const grey = channels < 3;
  const alpha = channels === 2 || channels === 4;
  for (let i = 0, at = 0, o = 0; i < n; i++, at += channels, o += 4) {
    rgba[o] = data[at]!;
    rgba[o + 1] = grey ? data[at]! : data[at + 1]!;
    rgba[o + 2] = grey ? data[at]! : data[at + 2]!;
    rgba[o + 3] = alpha ? data[at + channels - 1]! : 255;
  }
  return { width: png.width, height: png.height, data: rgba };
}
