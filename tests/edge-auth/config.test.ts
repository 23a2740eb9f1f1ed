/**
 * The app's settings (edge/config.ts). The Bun host's own (PORT, DATA_DIR, storage) are tested in
 * tests/bun-host/config.test.ts, the cluster's in tests/cluster/config.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { generateJwtSecret, loadConfig } from "../../edge/config.ts";
import { defaultLimits } from "../../protocol/limits.ts";
import { expectErrorsNameTheVariable } from "../support/configErrors.ts";

describe("loadConfig", () => {
  test("defaults", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      jwtSecret: "",
      accessTtlSeconds: 900,
      refreshTtlSeconds: 30 * 86_400,
      maxFailedLogins: 3,
      lockoutMinutes: 15,
      adminUsernames: [],
      corsOrigins: [],
      restPerMinute: 600,
      authPerMinute: 30,
      bodyLimitBytes: 65_536,
      turnUrls: [],
      iceTransportPolicy: "all",
    });
    expect(c.limits).toEqual(defaultLimits);
  });

  test("holds no host's settings: storage and cluster belong to their hosts", () => {
    const c = loadConfig({ PORT: "9000", DATA_DIR: "/x", NEXUS_SYNC: "normal", NATS_URL: "nats://127.0.0.1:4222" }) as unknown as Record<string, unknown>;
    for (const key of ["port", "dataDir", "sync", "commitIntervalMs", "cluster", "attachmentSweepMs"]) expect(key in c).toBe(false);
  });

  test("lists, overrides and limits", () => {
    const c = loadConfig({
      ADMIN_USERNAMES: "Root, ops ,",
      CORS_ORIGINS: "https://a.example.com/,http://localhost:5173",
      TURN_URLS: "turn:t1.example.com:3478,turns:t2.example.com:5349",
      TURN_SECRET: "s",
      LOCKOUT_MINUTES: "30",
      NEXUS_MAX_TEXT_LENGTH: "8000",
      NEXUS_SENDS_PER_SECOND: "2.5",
      NEXUS_REPLAY_CAP: "50",
      JWT_SECRET: "x".repeat(32),
    });
    expect(c.adminUsernames).toEqual(["root", "ops"]);
    expect(c.corsOrigins).toEqual(["https://a.example.com", "http://localhost:5173"]);
    expect(c.turnUrls.length).toBe(2);
    expect(loadConfig({ ICE_TRANSPORT_POLICY: "relay" }).iceTransportPolicy).toBe("relay");
    expect(c.lockoutMinutes).toBe(30);
    expect(c.limits).toMatchObject({ maxTextLength: 8000, sendsPerSecond: 2.5, replayCap: 50 });
    expect(c.jwtSecret).toBe("x".repeat(32));
  });

  test("errors name the variable", () => {
    expectErrorsNameTheVariable(loadConfig, [
      [{ JWT_SECRET: "short" }, "JWT_SECRET"],
      [{ ICE_TRANSPORT_POLICY: "turn" }, "ICE_TRANSPORT_POLICY"],
      [{ CORS_ORIGINS: "not a url" }, "CORS_ORIGINS"],
      [{ NEXUS_REPLAY_CAP: "0" }, "NEXUS_REPLAY_CAP"],
      [{ NEXUS_MAX_TEXT_LENGTH: "lots" }, "NEXUS_MAX_TEXT_LENGTH"],
      [{ RATE_LIMIT_PER_MINUTE: "-5" }, "RATE_LIMIT_PER_MINUTE"],
    ]);
  });

  test("empty strings count as unset", () => {
    expect(loadConfig({ JWT_SECRET: "", LOCKOUT_MINUTES: "" })).toMatchObject({ jwtSecret: "", lockoutMinutes: 15 });
  });

  test("generated secrets are long and distinct", () => {
    const a = generateJwtSecret();
    expect(a.length).toBe(64);
    expect(loadConfig({ JWT_SECRET: a }).jwtSecret).toBe(a);
    expect(generateJwtSecret()).not.toBe(a);
  });
});
