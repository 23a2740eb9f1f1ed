/**
 * A cluster node (docs/cluster.md): the Bun node with cluster parts (NATS, Redis leases, the libSQL
 * server). Started by `npm start` when NATS_URL is set, by `npm run cluster`, and by the cluster suites.
 */
import { runNodeProcess } from "../bun/mainProcess.ts";
import { clusterParts } from "./clusterNode.ts";

await runNodeProcess((config) => (config.cluster ? undefined : "hosts/cluster/server.ts needs NATS_URL (and REDIS_URL, LIBSQL_URL, JWT_SECRET): see docs/cluster.md"), {
  parts: clusterParts,
});
