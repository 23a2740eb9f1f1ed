/**
 * The process around a node: validate the environment (the app's settings, edge/config.ts, and the
 * host's, ./config.ts or hosts/cluster/config.ts; a bad value stops the process naming the variable),
 * start, and stop cleanly on SIGINT/SIGTERM (writes flushed). Shared by the single-node entry
 * (hosts/bun/server.ts) and the cluster entry (hosts/cluster/server.ts).
 */
import { ConfigError } from "../../edge/config.ts";
import type { NodeConfig } from "./config.ts";
import { resolve } from "node:path";
import { describeBlobStore, loadBlobConfig, openBlobStore, type BlobConfig } from "./blobConfig.ts";
import { startNode, type StartOptions } from "./startNode.ts";

/** What an entry makes of the environment (it throws ConfigError for a bad or missing variable). */
export interface NodeSetup {
  config: NodeConfig;
  /** The cluster's parts; default one node on one file. */
  parts?: StartOptions["parts"];
  /** For the start-up line, e.g. "data in ./data". */
  where: string;
  /** Several nodes serve the same users (attachments must be reachable from each). */
  multiNode: boolean;
}

export async function runNodeProcess(setup: (env: Record<string, string | undefined>) => NodeSetup, opts: StartOptions = {}): Promise<void> {
  let setupDone: NodeSetup;
  let blobs: BlobConfig;
  try {
    setupDone = setup(process.env);
    blobs = loadBlobConfig(process.env, resolve(setupDone.config.dataDir));
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const { config, where, parts, multiNode } = setupDone;

  // Read by the allocator at process start; npm start sets it (hosts/bun/runtimeEnv.mjs).
  if (process.env.MIMALLOC_PURGE_DELAY === undefined)
    console.warn("[start] MIMALLOC_PURGE_DELAY is not set: under load the allocator's page churn costs ~15% more CPU; start with MIMALLOC_PURGE_DELAY=-1 (npm start does)");

  if (multiNode && blobs.kind === "disk")
    console.warn(`[start] cluster mode with BLOB_STORE=disk: an attachment is readable only where it was uploaded unless ${blobs.root} is one folder shared by every node; set BLOB_STORE=s3 (docs/cluster.md)`);

  const node = await startNode(config, { ...opts, parts: parts ?? opts.parts, blobs: openBlobStore(blobs) });
  console.log(`Nexus is running at ${node.url} (${where}; ${describeBlobStore(blobs)})`);

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
