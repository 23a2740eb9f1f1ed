/**
 * A cluster node (docs/cluster.md): the Bun node with cluster parts (NATS, Redis leases, the libSQL
 * server). Started by `npm start` when NATS_URL is set, by `npm run cluster`, and by the cluster suites.
 */
import { ConfigError } from "../../edge/config.ts";
import { loadNodeConfig } from "../bun/config.ts";
import { runNodeProcess } from "../bun/mainProcess.ts";
import { clusterParts } from "./clusterNode.ts";
import { loadClusterConfig } from "./config.ts";
import { phaseDone } from "../bun/startPhases.ts";

phaseDone("modules");

await runNodeProcess((env) => {
  const config = loadNodeConfig(env, "cluster");
  const cluster = loadClusterConfig(env, config);
  if (!cluster) throw new ConfigError("hosts/cluster/server.ts needs NATS_URL (and REDIS_URL, LIBSQL_URL, JWT_SECRET): see docs/cluster.md");
  return {
    config,
    parts: (c) => clusterParts(c, cluster),
    where: `cluster node ${cluster.nodeId}, region ${cluster.region}`,
    multiNode: true,
  };
});
