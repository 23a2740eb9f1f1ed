/**
 * `npm start`: one Nexus node on Bun with the embedded libSQL default (DATA_DIR, default ./data).
 * Cluster mode (NATS_URL set) has its own entry, hosts/cluster/server.ts; npm start picks it.
 */
import { ConfigError } from "../../edge/config.ts";
import { loadNodeConfig } from "./config.ts";
import { runNodeProcess } from "./mainProcess.ts";
import { phaseDone } from "./startPhases.ts";

phaseDone("modules");

await runNodeProcess((env) => {
  if (env.NATS_URL) throw new ConfigError("NATS_URL is set: a cluster node starts from hosts/cluster/server.ts (npm start picks it by itself)");
  const config = loadNodeConfig(env);
  return { config, where: `data in ${config.dataDir}`, multiNode: false };
});
