/**
 * Cluster mode as a conformance Target: one node that owns actors and one edge-only node in the
 * same region. The suite talks only to the edge node, so every REST call crosses the bus by RPC
 * and every socket is bridged to the owner: the whole conformance suite runs through cluster
 * routing. `restart` is a crash (kill -9) of the actor node and a new incarnation of it.
 */
import type { Target } from "../conformance/target.ts";
import { startCluster } from "./harness.ts";

export async function startClusterTarget(env: Record<string, string> = {}): Promise<Target> {
  const cluster = await startCluster([{ id: "a1", region: "a" }, { id: "e1", region: "a", role: "edge" }], env);
  const { a1, e1 } = cluster.nodes;
  return {
    url: e1!.url,
    stop: () => cluster.stop(),
    async restart() {
      await a1!.kill();
      await a1!.start();
    },
  };
}
