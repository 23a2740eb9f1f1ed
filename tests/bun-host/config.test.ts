/** The Bun host's own settings (hosts/bun/config.ts): listener, data folder, storage commits. */
import { describe, expect, test } from "bun:test";
import { loadBunHostConfig, loadNodeConfig } from "../../hosts/bun/config.ts";
import { expectErrorsNameTheVariable } from "../support/configErrors.ts";

describe("loadNodeConfig", () => {
  test("defaults, on top of the app's settings", () => {
    const c = loadNodeConfig({});
    expect(c).toMatchObject({ port: 8787, dataDir: "./data", sync: "full", commitIntervalMs: 2, attachmentSweepMs: 3_600_000 });
    expect(c.accessTtlSeconds).toBe(900);
  });

  test("overrides", () => {
    const c = loadNodeConfig({ PORT: "9000", DATA_DIR: "/srv/nexus", NEXUS_SYNC: "normal", NEXUS_COMMIT_INTERVAL_MS: "0", ATTACHMENT_SWEEP_INTERVAL_SECONDS: "60" });
    expect(c).toMatchObject({ port: 9000, dataDir: "/srv/nexus", sync: "normal", commitIntervalMs: 0, attachmentSweepMs: 60_000 });
  });

  test("group commits are 2 ms apart on one node and 10 ms in a cluster unless told", () => {
    expect(loadBunHostConfig({}).commitIntervalMs).toBe(2);
    expect(loadBunHostConfig({}, "cluster").commitIntervalMs).toBe(10);
    expect(loadBunHostConfig({ NEXUS_COMMIT_INTERVAL_MS: "3" }, "cluster").commitIntervalMs).toBe(3);
    expect(loadBunHostConfig({ NEXUS_COMMIT_INTERVAL_MS: "" }, "cluster").commitIntervalMs).toBe(10);
    expect(loadBunHostConfig({ NEXUS_COMMIT_INTERVAL_MS: "" }).commitIntervalMs).toBe(2);
  });

  test("errors name the variable, the app's and the host's alike", () => {
    expectErrorsNameTheVariable(loadNodeConfig, [
      [{ PORT: "eighty" }, "PORT"],
      [{ PORT: "70000" }, "PORT"],
      [{ NEXUS_SYNC: "off" }, "NEXUS_SYNC"],
      [{ NEXUS_COMMIT_INTERVAL_MS: "1000" }, "NEXUS_COMMIT_INTERVAL_MS"],
      [{ NEXUS_COMMIT_INTERVAL_MS: "1.5" }, "NEXUS_COMMIT_INTERVAL_MS"],
      [{ JWT_SECRET: "short" }, "JWT_SECRET"],
    ]);
  });

  test("empty strings count as unset", () => {
    expect(loadNodeConfig({ PORT: "", DATA_DIR: "" })).toMatchObject({ port: 8787, dataDir: "./data" });
  });
});
