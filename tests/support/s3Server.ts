/**
 * A real S3-protocol server for tests: s3rver (objects in a temp folder) as its own process on a
 * free port, with one bucket. It checks presigned URLs' expiry but, unlike S3, not SigV4 signatures
 * themselves: signing is checked against AWS's published example in tests/bun-host/s3BlobStore.test.ts.
 * It runs under Node with OpenSSL's legacy provider: s3rver's list continuation tokens use DES,
 * which Bun's crypto and Node's default provider no longer have (a truncated list answers 500).
 */
import { resolve } from "node:path";
import { freePort, spawnLogged, tempDir, waitForTcp } from "../../scripts/lib/processes.mjs";

const BIN = resolve(import.meta.dir, "../../node_modules/s3rver/bin/s3rver.js");

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
  const port = await freePort();
  const proc = spawnLogged("node", ["--openssl-legacy-provider", BIN, "-d", tempDir("nexus-s3-"), "-a", "127.0.0.1", "-p", String(port), "--silent", "--configure-bucket", bucket], {
    name: `s3rver-${port}`,
  });
  await waitForTcp(port, { proc, timeoutMs: 30_000 });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: { BLOB_STORE: "s3", S3_ENDPOINT: endpoint, S3_BUCKET: bucket, S3_ACCESS_KEY_ID: S3RVER_KEY, S3_SECRET_ACCESS_KEY: S3RVER_KEY },
    stop: async () => void (await proc.stop()),
  };
}
