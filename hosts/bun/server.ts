/**
 * `npm start`: one Nexus node on Bun with the embedded libSQL default (DATA_DIR, default ./data).
 * Cluster mode (NATS_URL set) has its own entry, hosts/cluster/server.ts; npm start picks it.
 */
import { runNodeProcess } from "./mainProcess.ts";

await runNodeProcess((config) =>
  config.cluster ? "NATS_URL is set: a cluster node starts from hosts/cluster/server.ts (npm start picks it by itself)" : undefined,
);
