/**
 * Attachments in an S3-compatible object store (AWS S3, MinIO, R2's S3 API, Ceph, ...), for the Bun
 * host and cluster mode: every node sees the same bytes without a shared folder, and clients can
 * upload and download directly with presigned URLs (PresignedBlobs), so the bytes skip the node.
 * Signing is aws4fetch's (SigV4 on Web Crypto + fetch, no other dependency): the AWS SDK would do the
 * same five calls with some megabytes of code.
 * Objects are `<bucket>/<conversationId>/<attachmentId>`, path-style by default (what MinIO and
 * most self-hosted stores expect) or virtual-hosted (`<bucket>.<endpoint host>`).
 */
import { AwsClient } from "aws4fetch";
import type { BlobStore, PresignedBlobs } from "../../edge/host.ts";
import { assertSafeKey } from "./diskBlobStore.ts";

export interface S3Settings {
  /** e.g. https://s3.eu-west-1.amazonaws.com or http://minio:9000 (what this node reaches). */
  endpoint: string;
  /** What clients reach for presigned URLs, when it differs from `endpoint` (default: endpoint). */
  publicEndpoint?: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** true: <endpoint>/<bucket>/<key>; false: <bucket>.<endpoint host>/<key>. */
  pathStyle: boolean;
}

/** Metadata header carrying who asked for a presigned upload; part of the upload's signature. */
const UPLOADER = "x-amz-meta-nexus-uploader";

export class S3BlobStore implements BlobStore, PresignedBlobs {
  private readonly aws: AwsClient;

  /** Tests only: `datetime` (YYYYMMDDTHHMMSSZ) pins the signing clock, `listPageSize` the objects
   *  per list request (S3's own default and maximum is 1000). */
  constructor(private readonly s: S3Settings, private readonly testing: { datetime?: () => string; listPageSize?: number } = {}) {
    // aws4fetch retries 5xx/429 with backoff; 3 tries keep a failing store from holding a request for long.
    this.aws = new AwsClient({ accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey, service: "s3", region: s.region, retries: 3 });
  }

  get presigned(): PresignedBlobs {
    return this;
  }

  /** The object's URL; without a key, the bucket's (for listing). */
  private url(key: string | null, base = this.s.endpoint): URL {
    if (key !== null) assertSafeKey(key); // also makes the key safe to put in a path unencoded
    key ??= "";
    const u = new URL(base);
    const prefix = u.pathname.replace(/\/+$/, "");
    if (this.s.pathStyle) u.pathname = `${prefix}/${this.s.bucket}/${key}`;
    else {
      u.hostname = `${this.s.bucket}.${u.hostname}`;
      u.pathname = `${prefix}/${key}`;
    }
    return u;
  }

  private async call(method: string, key: string, init: { body?: Uint8Array; headers?: Record<string, string> } = {}): Promise<Response> {
    const res = await this.aws.fetch(this.url(key).toString(), { method, body: init.body as BodyInit | undefined, headers: init.headers });
    if (res.ok || res.status === 404) return res;
    const detail = (await res.text().catch(() => "")).slice(0, 300);
    throw new Error(`S3 ${method} ${this.s.bucket}/${key}: HTTP ${res.status} ${detail}`);
  }

  async put(key: string, data: ArrayBuffer | Uint8Array, contentType: string): Promise<void> {
    const body = data instanceof Uint8Array ? data : new Uint8Array(data);
    const res = await this.call("PUT", key, { body, headers: { "content-type": contentType } });
    if (!res.ok) throw new Error(`S3 PUT ${this.s.bucket}/${key}: bucket not found (HTTP 404)`);
  }

  async get(key: string): Promise<{ body: ReadableStream; size: number; contentType: string } | null> {
    const res = await this.call("GET", key);
    if (res.status === 404 || !res.body) {
      await res.body?.cancel();
      return null;
    }
    return { body: res.body, size: Number(res.headers.get("content-length") ?? 0), contentType: res.headers.get("content-type") ?? "application/octet-stream" };
  }

  async delete(key: string): Promise<void> {
    // S3 answers 204 whether or not the object existed; some stores answer 404: both mean gone.
    const res = await this.call("DELETE", key);
    await res.body?.cancel();
  }

  /** Every object of the bucket with its write time (ListObjectsV2, 1000 a page), for the
   *  single-node sweep (attachmentSweep.ts): objects no row refers to are deleted there, which is
   *  how presigned uploads that were never confirmed go. The bucket must be Nexus's own. */
  async *entries(): AsyncIterable<{ key: string; mtimeMs: number }> {
    // Paged by start-after (the last key seen), standard in ListObjectsV2 like continuation tokens
    // and simpler for stores that implement tokens poorly (s3rver's need a cipher Bun lacks).
    let after: string | undefined;
    for (;;) {
      const u = this.url(null);
      u.searchParams.set("list-type", "2");
      if (this.testing.listPageSize) u.searchParams.set("max-keys", String(this.testing.listPageSize));
      if (after !== undefined) u.searchParams.set("start-after", after);
      const res = await this.aws.fetch(u.toString());
      const xml = await res.text();
      if (!res.ok) throw new Error(`S3 list ${this.s.bucket}: HTTP ${res.status} ${xml.slice(0, 300)}`);
      let last: string | undefined;
      for (const [, body] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
        const key = unescapeXml(/<Key>([\s\S]*?)<\/Key>/.exec(body!)?.[1] ?? "");
        const mtimeMs = Date.parse(/<LastModified>([^<]*)<\/LastModified>/.exec(body!)?.[1] ?? "");
        if (!key) continue;
        last = key;
        // Only keys this store could have written: anything else in the bucket is not the sweep's.
        if (Number.isFinite(mtimeMs) && isOurKey(key)) yield { key, mtimeMs };
      }
      if (!/<IsTruncated>true<\/IsTruncated>/.test(xml) || last === undefined) return;
      after = last;
    }
  }

  async head(key: string): Promise<{ size: number; contentType: string; uploader?: string } | null> {
    const res = await this.call("HEAD", key);
    if (res.status === 404) return null;
    const size = Number(res.headers.get("content-length"));
    if (!Number.isSafeInteger(size) || size < 0) throw new Error(`S3 HEAD ${this.s.bucket}/${key}: no valid Content-Length`);
    return { size, contentType: res.headers.get("content-type") ?? "application/octet-stream", uploader: res.headers.get(UPLOADER) ?? undefined };
  }

  async uploadUrl(key: string, o: { contentType: string; size: number; uploader: string; expiresInSeconds: number }): Promise<{ url: string; headers: Record<string, string> }> {
    const headers = { "content-type": o.contentType, [UPLOADER]: o.uploader };
    // content-length is signed too (allHeaders), so S3 refuses a body of any other size; the
    // browser sets that header itself, which is why it is not among those the client must send.
    const url = await this.presign("PUT", key, o.expiresInSeconds, {}, { ...headers, "content-length": String(o.size) });
    return { url, headers };
  }

  async downloadUrl(key: string, o: { contentType: string; disposition: string; expiresInSeconds: number }): Promise<string> {
    return this.presign("GET", key, o.expiresInSeconds, { "response-content-type": o.contentType, "response-content-disposition": o.disposition }, {});
  }

  /** A presigned URL for `method` on `key`: `query` and `headers` are signed with it (public for
   *  the signing test against AWS's published example). */
  async presign(method: string, key: string, expires: number, query: Record<string, string>, headers: Record<string, string>): Promise<string> {
    const url = this.url(key, this.s.publicEndpoint ?? this.s.endpoint);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    url.searchParams.set("X-Amz-Expires", String(expires));
    const signed = await this.aws.sign(url.toString(), {
      method,
      headers,
      aws: { signQuery: true, allHeaders: true, datetime: this.testing.datetime?.() },
    });
    return signed.url;
  }
}

const unescapeXml = (s: string) =>
  s.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" })[e]!);

/** `<conversationId>/<attachmentId>`, as BlobStore keys are (edge/routes/attachments.ts). */
function isOurKey(key: string): boolean {
  try {
    assertSafeKey(key);
  } catch {
    return false;
  }
  return key.split("/").length === 2;
}
