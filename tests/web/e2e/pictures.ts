/** Pictures the e2e files upload (avatars, group pictures). */
import sharp from "sharp";

/** A `w`×`h` picture with a left-to-right, top-to-bottom gradient (a photo stand-in), as PNG bytes. */
export async function gradientPng(w = 480, h = 320): Promise<Buffer> {
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) raw.set([Math.round((x / w) * 255), 90, 200 - Math.round((y / h) * 120)], (y * w + x) * 3);
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
}
