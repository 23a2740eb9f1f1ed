/**
 * Nexus in cluster mode, for cross-node and cross-region delivery: two Bun nodes with nats-server,
 * redis-server and a libSQL server (sqld), started by the cluster test harness (tests/cluster/harness.ts).
 * Every conversation is created through the first node, so its actor lives there; members alternate
 * between the two nodes, so half of them reach their actor over the bus (socket bridge) and every
 * event crosses to the second node once. `nexusRegions` puts the second node in another region:
 * the same, across a NATS gateway. The server CPU counted is every process of the cluster.
 */
import { startCluster, type LocalCluster, type NodeSpec } from "../../tests/cluster/harness.ts";
import { extraEnv, nexusBenchEnv } from "./nexus.ts";
import { registerGroups } from "./nexus.rest.ts";
import { buildSpecs, perShape } from "./specs.ts";
import type { MemberSpec, StartOptions, Target, TargetName, TargetServer, Workload } from "./types.ts";

function clusterTarget(name: TargetName, nodes: NodeSpec[], description: string): Target {
  return {
    name,
    async start(_opts: StartOptions): Promise<TargetServer> {
      // The accounts on a server of their own, as docs/cluster.md tells production to run them.
      const cl: LocalCluster = await startCluster(nodes, { ...nexusBenchEnv, ...extraEnv() }, { accountsServerOfTheirOwn: true });
      const bases = nodes.map((n) => `http://127.0.0.1:${cl.nodes[n.id]!.port}`);
      const home = bases[0]!;
      const groupsFor = perShape((groups, members) => registerGroups(home, name === "nexusCluster" ? "c" : "r", groups, members));
      const procs = () => [...Object.values(cl.nodes).map((n) => n.proc), ...Object.values(cl.nats).map((s) => s.proc),
        ...Object.values(cl.redis).map((s) => s.proc), ...[...new Set([...Object.values(cl.sqlds), cl.sqld])].map((s) => s.proc)];
      return {
        name,
        description,
        pids: () => procs().map((p) => p.pid),
        alive: () => procs().every((p) => p.running()),
        async prepare(w: Workload): Promise<MemberSpec[]> {
          const { users, convs } = await groupsFor(w);
          return buildSpecs(w, (g, m) => ({ base: bases[m % bases.length]!, token: users[g]![m]!.accessToken, conv: convs[g]! }));
        },
        stop: () => cl.stop(),
      };
    },
  };
}

export const nexusCluster = clusterTarget("nexusCluster", [{ id: "n1", region: "a" }, { id: "n2", region: "a" }],
  "Nexus cluster: 2 Bun nodes + NATS + Redis + sqld, one region (+ the accounts' sqld); actors on n1, half the members on n2");
export const nexusRegions = clusterTarget("nexusRegions", [{ id: "a1", region: "a" }, { id: "b1", region: "b" }],
  "Nexus cluster: 2 regions (NATS gateway), 1 Bun node + Redis + sqld each (+ the accounts' sqld in a); actors in a, half the members in b");
