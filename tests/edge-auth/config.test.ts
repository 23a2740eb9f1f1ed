import { describe, expect, test } from "bun:test";
import { ConfigError, generateJwtSecret, loadConfig } from "../../edge/config.ts";
import { defaultLimits } from "../../protocol/limits.ts";

describe("loadConfig", () => {
  test("defaults", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8787,
      dataDir: "./data",
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
      sync: "full",
      commitIntervalMs: 2,
    });
    expect(c.limits).toEqual(defaultLimits);
  });

  test("lists, overrides and limits", () => {
    const c = loadConfig({
      PORT: "9000",
      ADMIN_USERNAMES: "Root, ops ,",
      CORS_ORIGINS: "https://a.example.com/,http://localhost:5173",
      TURN_URLS: "turn:t1.example.com:3478,turns:t2.example.com:5349",
      TURN_SECRET: "s",
      LOCKOUT_MINUTES: "30",
      NEXUS_MAX_TEXT_LENGTH: "8000",
      NEXUS_SENDS_PER_SECOND: "2.5",
      NEXUS_REPLAY_CAP: "50",
      JWT_SECRET: "x".repeat(32),
      NEXUS_SYNC: "normal",
      NEXUS_COMMIT_INTERVAL_MS: "0",
    });
    expect(c.port).toBe(9000);
    expect(c.sync).toBe("normal");
    expect(c.commitIntervalMs).toBe(0);
    expect(c.adminUsernames).toEqual(["root", "ops"]);
    expect(c.corsOrigins).toEqual(["https://a.example.com", "http://localhost:5173"]);
    expect(c.turnUrls.length).toBe(2);
    expect(c.lockoutMinutes).toBe(30);
    expect(c.limits).toMatchObject({ maxTextLength: 8000, sendsPerSecond: 2.5, replayCap: 50 });
    expect(c.jwtSecret).toBe("x".repeat(32));
  });

  test("errors name the variable", () => {
    const bad: [Record<string, string>, string][] = [
      [{ PORT: "eighty" }, "PORT"],
      [{ PORT: "70000" }, "PORT"],
      [{ JWT_SECRET: "short" }, "JWT_SECRET"],
      [{ CORS_ORIGINS: "not a url" }, "CORS_ORIGINS"],
      [{ NEXUS_REPLAY_CAP: "0" }, "NEXUS_REPLAY_CAP"],
      [{ NEXUS_MAX_TEXT_LENGTH: "lots" }, "NEXUS_MAX_TEXT_LENGTH"],
      [{ RATE_LIMIT_PER_MINUTE: "-5" }, "RATE_LIMIT_PER_MINUTE"],
      [{ NEXUS_SYNC: "off" }, "NEXUS_SYNC"],
      [{ NEXUS_COMMIT_INTERVAL_MS: "1000" }, "NEXUS_COMMIT_INTERVAL_MS"],
      [{ NEXUS_COMMIT_INTERVAL_MS: "1.5" }, "NEXUS_COMMIT_INTERVAL_MS"],
    ];
    for (const [env, name] of bad) {
      let err: unknown;
      try {
        loadConfig(env);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain(name);
    }
  });

  test("cluster mode: needs its servers, and spaces group commits 10 ms apart unless told", () => {
    const cluster = { NATS_URL: "nats://127.0.0.1:4222", REDIS_URL: "redis://127.0.0.1:6379", LIBSQL_URL: "http://127.0.0.1:8080", JWT_SECRET: "x".repeat(32) };
    const c = loadConfig(cluster);
    expect(c.cluster).toMatchObject({ natsUrls: ["nats://127.0.0.1:4222"], libsqlUrl: "http://127.0.0.1:8080", role: "all" });
    expect(c.commitIntervalMs).toBe(10);
    expect(loadConfig({ ...cluster, NEXUS_COMMIT_INTERVAL_MS: "3" }).commitIntervalMs).toBe(3);
    expect(loadConfig({ ...cluster, NEXUS_COMMIT_INTERVAL_MS: "" }).commitIntervalMs).toBe(10);
    expect(loadConfig({ NEXUS_COMMIT_INTERVAL_MS: "" }).commitIntervalMs).toBe(2);
    expect(() => loadConfig({ ...cluster, LIBSQL_URL: undefined })).toThrow(/LIBSQL_URL/);
  });

  test("empty strings count as unset", () => {
    expect(loadConfig({ PORT: "", JWT_SECRET: "" }).port).toBe(8787);
  });

  test("generated secrets are long and distinct", () => {
    const a = generateJwtSecret();
    expect(a.length).toBe(64);
    expect(loadConfig({ JWT_SECRET: a }).jwtSecret).toBe(a);
    expect(generateJwtSecret()).not.toBe(a);
  });
});
