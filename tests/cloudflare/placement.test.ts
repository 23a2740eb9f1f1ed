/**
 * Placement and jurisdiction are decided in hosts/cloudflare (placement.ts, stubs.ts) for every path
 * that can create a Durable Object. workerd ignores location hints, so this checks the choice: each
 * path runs against fake namespaces that record every `get` (with its options) and every
 * `jurisdiction()` call. tests/cloudflare/multiRegion.test.ts runs the same paths in real workerd.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { homeFromCf, majorityHome } from "../../hosts/cloudflare/placement.ts";
import { DoActorsClient } from "../../hosts/cloudflare/actorsClient.ts";
import { DoSocketRouter } from "../../hosts/cloudflare/socketRouter.ts";
import { DoMesh } from "../../hosts/cloudflare/doMesh.ts";
import { DoRateLimiter } from "../../hosts/cloudflare/doRateLimiter.ts";
import { directoryRpc } from "../../hosts/cloudflare/stubs.ts";
import { deploymentOf } from "../../hosts/cloudflare/deployment.ts";
import { userIdFor } from "../../edge/auth/shardedAccounts.ts";
import { ROOT } from "./harness.ts";

interface Got {
  binding: string;
  name: string;
  locationHint: string | undefined;
  jurisdiction: string | undefined;
}

/** A namespace that records gets; its stubs answer every method with a plausible value. */
function fakeNamespace(binding: string, log: Got[], jurisdiction?: string): DurableObjectNamespace {
  const answers: Record<string, unknown> = { presence: { userId: "x", status: "offline", lastSeen: null }, take: true };
  return {
    idFromName: (name: string) => ({ name, jurisdiction }),
    jurisdiction: (j: string) => fakeNamespace(binding, log, j),
    get(id: { name: string; jurisdiction?: string }, opts?: { locationHint?: string }) {
      log.push({ binding, name: id.name, locationHint: opts?.locationHint, jurisdiction: id.jurisdiction });
      return new Proxy({}, { get: (_t, prop) => (prop === "then" ? undefined : async () => answers[String(prop)] ?? {}) });
    },
  } as unknown as DurableObjectNamespace;
}

function fakeEnv(vars: Record<string, string> = {}) {
  const log: Got[] = [];
  const env = {
    ...vars,
    CONVERSATION: fakeNamespace("CONVERSATION", log),
    INBOX: fakeNamespace("INBOX", log),
    DIRECTORY: fakeNamespace("DIRECTORY", log),
    RATE_LIMIT: fakeNamespace("RATE_LIMIT", log),
    ATTACHMENTS: {} as R2Bucket,
  };
  return { env, log };
}

const waiter = { pending: [] as Promise<unknown>[], waitUntil(p: Promise<unknown>) { this.pending.push(p); } };
const member = (userId: string) => ({ userId, username: userId, role: "member" as const });
const hono = (url = "http://x/") => ({ req: { raw: new Request(url) } }) as any;

const paris = userIdFor(1, "weur");
const berlin = userIdFor(2, "weur");
const tokyo = userIdFor(3, "apac");
const nyc = userIdFor(4, "enam");
const unknown = userIdFor(5, undefined);
const legacy = "u_abcdefghijklmnop";

/** Every path that can create an object, run once against `env`. */
async function everyPath(env: ReturnType<typeof fakeEnv>["env"]) {
  const actors = new DoActorsClient(env as any);
  await actors.conversation("d_1").create({ userId: tokyo }, { type: "direct", title: "", members: [member(tokyo), member(paris)] });
  await actors.conversation("g_1").create({ userId: tokyo }, { type: "group", title: "t", members: [member(tokyo), member(paris), member(berlin)] });
  await actors.conversation("g_1").info({ userId: tokyo });
  await actors.inbox(paris).list({ userId: paris });
  await new DoSocketRouter(env as any).inbox(hono(), nyc);
  await new DoSocketRouter(env as any).conversation(hono(), "g_1", nyc, {});
  const mesh = new DoMesh(env as any, waiter, "test");
  mesh.notifyInbox(berlin, {} as any);
  await mesh.syncInbox(tokyo, {} as any);
  await mesh.presenceOf([nyc]);
  await Promise.all(waiter.pending);
  await new DoRateLimiter(env as any).take(`rest:u:${tokyo}`, 10);
  await new DoRateLimiter(env as any).take("auth:ip:192.0.2.1", 10);
  await directoryRpc(env as any, 3).first("SELECT 1");
}

describe("homeFromCf: request.cf → one of the nine location hints", () => {
  test.each([
    [{ continent: "NA", country: "US", longitude: "-122.4" }, "wnam"],
    [{ continent: "NA", country: "US", longitude: "-74.0" }, "enam"],
    [{ continent: "NA", country: "US", colo: "SEA" }, "wnam"],
    [{ continent: "NA", country: "CA", colo: "YYZ" }, "enam"],
    [{ continent: "SA", country: "BR" }, "sam"],
    [{ continent: "EU", country: "FR" }, "weur"],
    [{ continent: "EU", country: "PL" }, "eeur"],
    [{ continent: "EU", longitude: "30.5" }, "eeur"],
    [{ continent: "EU", longitude: "2.3" }, "weur"],
    [{ continent: "AS", country: "JP" }, "apac"],
    [{ continent: "AS", country: "AE" }, "me"],
    [{ continent: "AF", country: "EG" }, "me"],
    [{ continent: "AF", country: "NG" }, "afr"],
    [{ continent: "OC", country: "AU" }, "oc"],
    [{ country: "SA" }, "me"],
    [{ continent: "T1", country: "T1" }, undefined],
    [{}, undefined],
    [undefined, undefined],
  ])("%p → %p", (cf, hint) => {
    expect(homeFromCf(cf)).toBe(hint as any);
  });
});

test("majorityHome: most members' home; a tie or no known home gives the creator's", () => {
  expect(majorityHome("apac", ["apac", "weur", "weur"])).toBe("weur");
  expect(majorityHome("apac", ["apac", "weur"])).toBe("apac");
  expect(majorityHome("apac", ["weur", "enam"])).toBe("apac");
  expect(majorityHome("oc", [undefined, undefined])).toBe("oc");
  expect(majorityHome(undefined, [undefined, "sam"])).toBe("sam");
});

describe("the hint chosen on every path that can create an object", () => {
  test("inbox at its user's home (Worker, sockets, mesh); conversation on create only; limits per user", async () => {
    const { env, log } = fakeEnv();
    await everyPath(env);
    const hints = log.map((g) => `${g.binding} ${g.name === paris ? "paris" : g.name === berlin ? "berlin" : g.name === tokyo ? "tokyo" : g.name === nyc ? "nyc" : g.name} ${g.locationHint ?? "-"}`);
    expect(hints).toEqual([
      "CONVERSATION d_1 apac", // direct: the creator's home (tokyo), not the other member's
      "CONVERSATION g_1 weur", // group: 2 of 3 members are in weur
      "CONVERSATION g_1 -", // not a creation: no hint
      "INBOX paris weur",
      "INBOX nyc enam", // inbox socket
      "CONVERSATION g_1 -", // conversation socket: the object exists already
      "INBOX berlin weur", // mesh: conversation object → inbox object
      "INBOX tokyo apac",
      "INBOX nyc enam",
      `RATE_LIMIT rest:u:${tokyo} apac`,
      "RATE_LIMIT auth:ip:192.0.2.1 -",
      "DIRECTORY directory-3 -",
    ]);
  });

  test("ids without a home (no cf at sign-up, or from before sharding) get no hint", async () => {
    const { env, log } = fakeEnv();
    const actors = new DoActorsClient(env as any);
    await actors.inbox(unknown).list({ userId: unknown });
    await actors.inbox(legacy).list({ userId: legacy });
    await actors.conversation("g_2").create({ userId: legacy }, { type: "group", title: "t", members: [member(legacy), member(unknown)] });
    expect(log.map((g) => g.locationHint)).toEqual([undefined, undefined, undefined]);
  });
});

describe("NEXUS_JURISDICTION", () => {
  test("set: every namespace access on every path goes through ns.jurisdiction(j)", async () => {
    const { env, log } = fakeEnv({ NEXUS_JURISDICTION: "eu" });
    await everyPath(env);
    expect(log.length).toBe(12);
    expect(new Set(log.map((g) => g.binding))).toEqual(new Set(["CONVERSATION", "INBOX", "RATE_LIMIT", "DIRECTORY"]));
    for (const g of log) expect(g.jurisdiction).toBe("eu");
  });

  test("unset (or empty): no jurisdiction anywhere", async () => {
    for (const vars of [{}, { NEXUS_JURISDICTION: "" }] as Record<string, string>[]) {
      const { env, log } = fakeEnv(vars);
      await everyPath(env);
      for (const g of log) expect(g.jurisdiction).toBeUndefined();
    }
  });

  test("an invalid value is refused with the variable's name, as is a bad shard count", () => {
    expect(() => deploymentOf({ NEXUS_JURISDICTION: "mars" })).toThrow(/NEXUS_JURISDICTION/);
    expect(() => deploymentOf({ NEXUS_DIRECTORY_SHARDS: "0" })).toThrow(/NEXUS_DIRECTORY_SHARDS/);
    expect(() => deploymentOf({ NEXUS_DIRECTORY_SHARDS: "many" })).toThrow(/NEXUS_DIRECTORY_SHARDS/);
    expect(deploymentOf({ NEXUS_JURISDICTION: "fedramp", NEXUS_DIRECTORY_SHARDS: "16" })).toEqual({ jurisdiction: "fedramp", directoryShards: 16 });
  });

  test("no file under hosts/cloudflare but stubs.ts makes ids or stubs from a namespace", () => {
    const dir = join(ROOT, "hosts/cloudflare");
    const offenders = readdirSync(dir)
      .filter((f) => f.endsWith(".ts") && f !== "stubs.ts")
      .filter((f) => /\.(idFromName|idFromString|newUniqueId|jurisdiction)\(|\b(CONVERSATION|INBOX|DIRECTORY|RATE_LIMIT)\.get\(/.test(readFileSync(join(dir, f), "utf8")));
    expect(offenders).toEqual([]);
  });
});
