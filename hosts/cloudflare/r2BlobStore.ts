/** BlobStore over an R2 bucket (binding ATTACHMENTS): attachment bytes with their content type. */
import type { BlobStore } from "../../edge/host.ts";

export class R2BlobStore implements BlobStore {
  constructor(private readonly bucket: R2Bucket) {}

  async put(key: string, data: ArrayBuffer | Uint8Array, contentType: string): Promise<void> {
    await this.bucket.put(key, data, { httpMetadata: { contentType } });
  }

  async get(key: string): Promise<{ body: ReadableStream; size: number; contentType: string } | null> {
    const obj = await this.bucket.get(key);
    if (!obj) return null;
    return { body: obj.body, size: obj.size, contentType: obj.httpMetadata?.contentType ?? "application/octet-stream" };
  }

  async delete(key: string): Promise<void> {
    await this.bucket.delete(key);
  }
}
