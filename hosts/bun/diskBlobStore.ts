/**
 * Attachments on local disk (Bun host): DATA_DIR/attachments/blobs/<key> with the content type in
 * DATA_DIR/attachments/meta/<key>.json. Writes go to a temp file, are fsynced, then renamed, so a
 * blob is either absent or complete, and put() resolves only once it is durable.
 * Keys are validated: segments of [A-Za-z0-9_.-] not starting with a dot, joined by "/".
 */
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { randomBytes } from "node:crypto";
import type { BlobStore } from "../../edge/host.ts";

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;

export function assertSafeKey(key: string): void {
  const parts = key.split("/");
  if (key.length > 512 || parts.length > 4 || !parts.every((p) => SEGMENT.test(p))) throw new Error(`unsafe blob key: ${JSON.stringify(key)}`);
}

async function writeDurably(path: string, data: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  const fh = await open(tmp, "w");
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  // Make the rename itself durable.
  const dir = await open(dirname(path), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

export class DiskBlobStore implements BlobStore {
  /** `root` is usually `${DATA_DIR}/attachments`. */
  constructor(private readonly root: string) {}

  private paths(key: string) {
    assertSafeKey(key);
    return { blob: join(this.root, "blobs", key), meta: join(this.root, "meta", `${key}.json`) };
  }

  async put(key: string, data: ArrayBuffer | Uint8Array, contentType: string): Promise<void> {
    const p = this.paths(key);
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    // Meta first: a blob without meta is never served, meta without blob reads as absent.
    await writeDurably(p.meta, new TextEncoder().encode(JSON.stringify({ contentType, size: bytes.byteLength })));
    await writeDurably(p.blob, bytes);
  }

  async get(key: string): Promise<{ body: ReadableStream; size: number; contentType: string } | null> {
    const p = this.paths(key);
    try {
      const [meta, st] = await Promise.all([readFile(p.meta, "utf8"), stat(p.blob)]);
      const { contentType } = JSON.parse(meta) as { contentType: string };
      const body = Readable.toWeb(createReadStream(p.blob)) as unknown as ReadableStream;
      return { body, size: st.size, contentType };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    const p = this.paths(key);
    await rm(p.blob, { force: true });
    await rm(p.meta, { force: true });
  }

  /** Every stored key (`<conversation>/<attachment>`) with its write time, for the sweep
   *  (attachmentSweep.ts). Temp files of unfinished writes are listed too: they are old bytes
   *  without a row like any other. */
  async *entries(): AsyncIterable<{ key: string; mtimeMs: number }> {
    const root = join(this.root, "blobs");
    let dirs: string[];
    try {
      dirs = await readdir(root);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      throw e;
    }
    for (const dir of dirs) {
      if (!SEGMENT.test(dir)) continue;
      let names: string[];
      try {
        names = await readdir(join(root, dir));
      } catch {
        continue; // not a directory, or removed meanwhile
      }
      for (const name of names) {
        if (!SEGMENT.test(name)) continue;
        try {
          yield { key: `${dir}/${name}`, mtimeMs: (await stat(join(root, dir, name))).mtimeMs };
        } catch {
          // removed meanwhile
        }
      }
    }
  }
}
