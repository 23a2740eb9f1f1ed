/**
 * The process around a node: validate the environment (edge/config.ts; a bad value stops the
 * process with a message naming it), start, and stop cleanly on SIGINT/SIGTERM (writes flushed).
 * Shared by the single-node entry (hosts/bun/server.ts) and the cluster entry (hosts/cluster/server.ts).
 */
import { ConfigError, loadConfig, type EdgeConfig } from "../../edge/config.ts";
import { resolve } from "node:path";
import { describeBlobStore, loadBlobConfig, openBlobStore, type BlobConfig } from "./blobConfig.ts";
import { startNode, type StartOptions } from "./startNode.ts";

export async function runNodeProcess(check: (config: EdgeConfig) => string | undefined, opts: StartOptions = {}): Promise<void> {
  let config: EdgeConfig;
  let blobs: BlobConfig;
  try {
    config = loadConfig(process.env);
    blobs = loadBlobConfig(process.env, resolve(config.dataDir));
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const wrongMode = check(config);
  if (wrongMode) {
    console.error(wrongMode);
    process.exit(2);
  }

  // Read by the allocator at process start; npm start sets it (hosts/bun/runtimeEnv.mjs).
  if (process.env.MIMALLOC_PURGE_DELAY === undefined)
    console.warn("[start] MIMALLOC_PURGE_DELAY is not set: under load the allocator's page churn costs ~15% more CPU; start with MIMALLOC_PURGE_DELAY=-1 (npm start does)");

  if (config.cluster && blobs.kind === "disk")
    console.warn(`[start] cluster mode with BLOB_STORE=disk: an attachment is readable only where it was uploaded unless ${blobs.root} is one folder shared by every node; set BLOB_STORE=s3 (docs/cluster.md)`);

  const node = await startNode(config, { ...opts, blobs: openBlobStore(blobs) });
  console.log(`Nexus is running at ${node.url} (${config.cluster ? `cluster node ${config.cluster.nodeId}, region ${config.cluster.region}` : `data in ${config.dataDir}`}; ${describeBlobStore(blobs)})`);

  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.on(signal, async () => {
      if (stopping) return;
      stopping = true;
      console.log(`\n${signal}: stopping (flushing writes)…`);
      await node.stop();
      process.exit(0);
    });
}
