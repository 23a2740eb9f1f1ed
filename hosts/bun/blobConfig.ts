/**
 * Where the Bun host (and a cluster node) keeps attachment bytes, from the environment:
 * BLOB_STORE=disk (default: DATA_DIR/attachments, one node) or BLOB_STORE=s3 with the S3_* variables
 * (any S3-compatible store; what a cluster uses, since its nodes share no folder). Host-side because
 * the Cloudflare host has its R2 binding instead; errors name the variable, as edge/config.ts does.
 */
import { join } from "node:path";
import { z } from "zod";
import { ConfigError } from "../../edge/config.ts";
import type { BlobStore } from "../../edge/host.ts";
import { DiskBlobStore } from "./diskBlobStore.ts";
import { S3BlobStore, type S3Settings } from "./s3BlobStore.ts";

const httpUrl = (name: string) =>
  z.url({ protocol: /^https?$/, error: `${name} must be an http(s):// URL like https://s3.eu-west-1.amazonaws.com` }).refine(
    (u) => !new URL(u).search && !new URL(u).hash,
    `${name} must have no query or fragment`,
  );

const S3Env = z.object({
  S3_ENDPOINT: httpUrl("S3_ENDPOINT"),
  S3_PUBLIC_ENDPOINT: httpUrl("S3_PUBLIC_ENDPOINT").optional(),
  // S3's bucket naming rules (lowercase, digits, dots, hyphens; 3-63 characters).
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "S3_BUCKET must be a bucket name: 3-63 of [a-z0-9.-]"),
  S3_REGION: z.string().regex(/^[a-z0-9-]{1,32}$/, "S3_REGION must look like us-east-1 (R2: auto)").default("us-east-1"),
  S3_ACCESS_KEY_ID: z.string().min(1, "S3_ACCESS_KEY_ID is required"),
  S3_SECRET_ACCESS_KEY: z.string().min(1, "S3_SECRET_ACCESS_KEY is required"),
  S3_PATH_STYLE: z.enum(["1", "0", "true", "false"]).default("true").transform((v) => v === "1" || v === "true"),
});

export type BlobConfig = { kind: "disk"; root: string } | { kind: "s3"; s3: S3Settings };

export function loadBlobConfig(env: Record<string, string | undefined>, dataDir: string): BlobConfig {
  // Empty strings mean unset, as in edge/config.ts (compose files and .env produce them).
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const kind = clean.BLOB_STORE ?? "disk";
  if (kind === "disk") {
    // S3 settings without BLOB_STORE=s3 are a mistake that would quietly keep bytes on one node's disk.
    const stray = Object.keys(clean).filter((k) => k.startsWith("S3_"));
    if (stray.length > 0) throw new ConfigError(`Invalid configuration: ${stray.join(", ")} set but BLOB_STORE is not s3`);
    return { kind: "disk", root: join(dataDir, "attachments") };
  }
  if (kind !== "s3") throw new ConfigError(`Invalid configuration: BLOB_STORE: "disk" (default) or "s3", not ${JSON.stringify(kind)}`);
  const r = S3Env.safeParse(clean);
  if (!r.success) throw new ConfigError("Invalid configuration: " + r.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join("; "));
  const e = r.data;
  return {
    kind: "s3",
    s3: {
      endpoint: e.S3_ENDPOINT,
      publicEndpoint: e.S3_PUBLIC_ENDPOINT,
      bucket: e.S3_BUCKET,
      region: e.S3_REGION,
      accessKeyId: e.S3_ACCESS_KEY_ID,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY,
      pathStyle: e.S3_PATH_STYLE,
    },
  };
}

export function openBlobStore(c: BlobConfig): BlobStore {
  return c.kind === "s3" ? new S3BlobStore(c.s3) : new DiskBlobStore(c.root);
}

/** One line for the start message, without credentials. */
export function describeBlobStore(c: BlobConfig): string {
  return c.kind === "s3" ? `attachments in s3 bucket ${c.s3.bucket} at ${c.s3.endpoint}` : `attachments in ${c.root}`;
}
