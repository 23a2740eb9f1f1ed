/** A cluster node's own settings (hosts/cluster/config.ts): its servers, region, id and role. */
import { describe, expect, test } from "bun:test";
import { loadClusterConfig } from "../../hosts/cluster/config.ts";
import { expectErrorsNameTheVariable } from "../support/configErrors.ts";

const servers = { NATS_URL: "nats://127.0.0.1:4222", REDIS_URL: "redis://127.0.0.1:6379", LIBSQL_URL: "http://127.0.0.1:8080" };
const node = { port: 8800, jwtSecret: "x".repeat(32) };

describe("loadClusterConfig", () => {
  test("no NATS_URL: not a cluster node", () => {
    expect(loadClusterConfig({}, node)).toBeUndefined();
    expect(loadClusterConfig({ NATS_URL: "" }, node)).toBeUndefined();
  });

  test("defaults and overrides", () => {
    expect(loadClusterConfig({ ...servers, HOSTNAME: "box.1" }, node)).toEqual({
      natsUrls: ["nats://127.0.0.1:4222"], redisUrl: "redis://127.0.0.1:6379", libsqlUrl: "http://127.0.0.1:8080",
      libsqlAuthToken: undefined, accountsLibsqlUrl: "http://127.0.0.1:8080", libsqlReplicaPath: undefined, regionLibsqlUrls: new Map(),
      region: "local", nodeId: "box-1-8800", role: "all", name: "nexus", leaseTtlMs: 1500, leaseLossExitDelayMs: 0, replicaOpenDelayMs: 0,
      movePolicy: { checkMs: 10_000, sustainedChecks: 3, minWrites: 30, cooldownMs: 600_000 },
    });
    const c = loadClusterConfig({ ...servers, NATS_URL: "nats://a:4222, nats://b:4222", ACCOUNTS_LIBSQL_URL: "http://acc:8080", NEXUS_REGION: "eu-1",
      NEXUS_NODE_ID: "n1", NEXUS_NODE_ROLE: "edge", NEXUS_CLUSTER_NAME: "c2", NEXUS_LEASE_TTL_MS: "3000", LIBSQL_REPLICA_PATH: "/r.db" }, node);
    expect(c).toMatchObject({ natsUrls: ["nats://a:4222", "nats://b:4222"], accountsLibsqlUrl: "http://acc:8080", region: "eu-1", nodeId: "n1",
      role: "edge", name: "c2", leaseTtlMs: 3000, libsqlReplicaPath: "/r.db" });
    // Other regions' primaries for far replicas; this region's own entry is left out.
    const far = loadClusterConfig({ ...servers, NEXUS_REGION: "a", LIBSQL_REPLICA_PATH: "/r.db",
      NEXUS_REGION_LIBSQL_URLS: "a=http://a:8080, b=http://b:8080/?x=1" }, node);
    expect(far?.regionLibsqlUrls).toEqual(new Map([["b", "http://b:8080/?x=1"]]));
    expect(() => loadClusterConfig({ ...servers, NEXUS_REGION_LIBSQL_URLS: "b=http://b:8080" }, node)).toThrow(/LIBSQL_REPLICA_PATH/);
  });

  test("needs its servers and a shared JWT secret; errors name the variable", () => {
    expect(() => loadClusterConfig({ ...servers, LIBSQL_URL: undefined }, node)).toThrow(/LIBSQL_URL/);
    expect(() => loadClusterConfig({ ...servers, REDIS_URL: "" }, node)).toThrow(/REDIS_URL/);
    expect(() => loadClusterConfig(servers, { ...node, jwtSecret: "" })).toThrow(/JWT_SECRET/);
    expectErrorsNameTheVariable((env) => loadClusterConfig({ ...servers, ...env }, node), [
      [{ NATS_URL: "http://x" }, "NATS_URL"],
      [{ REDIS_URL: "localhost:6379" }, "REDIS_URL"],
      [{ LIBSQL_URL: "file:x.db" }, "LIBSQL_URL"],
      [{ NEXUS_REGION: "EU" }, "NEXUS_REGION"],
      [{ NEXUS_REGION_LIBSQL_URLS: "b:http://b:8080" }, "NEXUS_REGION_LIBSQL_URLS"],
      [{ NEXUS_NODE_ID: "a b" }, "NEXUS_NODE_ID"],
      [{ NEXUS_NODE_ROLE: "actors" }, "NEXUS_NODE_ROLE"],
      [{ NEXUS_LEASE_TTL_MS: "100" }, "NEXUS_LEASE_TTL_MS"],
      [{ NEXUS_CLUSTER_NAME: "a.b" }, "NEXUS_CLUSTER_NAME"],
    ]);
  });
});
