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

  /** The objects under `prefix` (one conversation's, `<conversationId>/`) with their upload time,
   *  for that conversation's sweep (ConversationDO's alarm). */
  async *entries(prefix: string): AsyncIterable<{ key: string; mtimeMs: number }> {
    let cursor: string | undefined;
    do {
      const page = await this.bucket.list({ prefix, cursor });
      for (const o of page.objects) yield { key: o.key, mtimeMs: o.uploaded.getTime() };
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
  }
}
