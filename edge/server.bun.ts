/**
 * `npm start`: one Nexus node on Bun with the embedded libSQL default (DATA_DIR, default ./data).
 * Env is validated (edge/config.ts); a bad value stops the process with a message naming it.
 */
import { ConfigError, loadConfig } from "./config.ts";
import { startNode } from "./bun/startNode.ts";

let config;
try {
  config = loadConfig(process.env);
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(2);
  }
  throw e;
}

// Read by the allocator at process start; npm start sets it (edge/bun/runtimeEnv.mjs).
if (process.env.MIMALLOC_PURGE_DELAY === undefined)
  console.warn("[start] MIMALLOC_PURGE_DELAY is not set: under load the allocator's page churn costs ~15% more CPU; start with MIMALLOC_PURGE_DELAY=-1 (npm start does)");

const node = await startNode(config);
console.log(`Nexus is running at ${node.url} (data in ${config.dataDir})`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping (flushing writes)…`);
    await node.stop();
    process.exit(0);
  });
