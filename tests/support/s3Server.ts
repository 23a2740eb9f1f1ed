/**
 * A real S3-protocol server for tests: s3rver (objects in a temp folder) on a free port, in this
 * process, with one bucket. It checks presigned URLs' expiry but, unlike S3, not SigV4 signatures
 * themselves: signing is checked against AWS's published example in tests/bun-host/s3BlobStore.test.ts.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";

/** s3rver's built-in account. */
export const S3RVER_KEY = "S3RVER";

export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** The env a Bun host needs to keep attachments in this server (hosts/bun/blobConfig.ts). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startS3(bucket = "nexus-test"): Promise<TestS3> {
  const server = new S3rver({ port: 0, address: "127.0.0.1", directory: mkdtempSync(join(tmpdir(), "nexus-s3-")), silent: true, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: { BLOB_STORE: "s3", S3_ENDPOINT: endpoint, S3_BUCKET: bucket, S3_ACCESS_KEY_ID: S3RVER_KEY, S3_SECRET_ACCESS_KEY: S3RVER_KEY },
    stop: () => server.close(),
  };
}
