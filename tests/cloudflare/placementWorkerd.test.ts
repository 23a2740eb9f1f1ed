/**
 * The placement and jurisdiction choices of every path, in real workerd: the real Worker and objects
 * built with recording namespaces (fixtures/recording.worker.ts), so each stub the Worker or an
 * object makes is seen with its location hint and jurisdiction. Sign-ups carry a request.cf (the
 * MF-CF-Blob header workerd's entry socket turns into `cf`, as Cloudflare's edge does).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DEFAULT_PASSWORD, Nexus, Session, uniqueName } from "../support/client.ts";
import { buildFixture, run, type Built, type Running } from "./harness.ts";
import { TEST_JWT_SECRET } from "./worker.ts";

const CLASSES = { CONVERSATION: "ConversationDO", INBOX: "InboxDO", DIRECTORY: "DirectoryDO", RATE_LIMIT: "RateLimitDO" };
let built: Built;
const running: Running[] = [];

beforeAll(async () => {
  built = await buildFixture("tests/cloudflare/fixtures/recording.worker.ts", CLASSES);
}, 60_000);

afterAll(async () => {
  for (const r of running) await r.stop();
  built?.cleanup();
}, 30_000);

async function start(vars: Record<string, string>): Promise<Nexus> {
  const r = await run(built, {
    durableObjects: Object.fromEntries(Object.entries(CLASSES).map(([b, className]) => [b, { className, useSQLite: true }])),
    r2Buckets: { ATTACHMENTS: "nexus-attachments" },
    bindings: { JWT_SECRET: TEST_JWT_SECRET, AUTH_RATE_LIMIT_PER_MINUTE: "100000", RATE_LIMIT_PER_MINUTE: "100000", ...vars },
  });
  running.push(r);
  return new Nexus(r.url.origin);
}

async function signUp(nx: Nexus, prefix: string, cf: Record<string, string>): Promise<Session> {
  const username = uniqueName(prefix);
  const res = await nx.request("POST", "/v1/auth/register", { username, password: DEFAULT_PASSWORD }, undefined, { "MF-CF-Blob": JSON.stringify(cf) });
  expect(res.status).toBe(201);
  return new Session(nx, res.body.user, res.body.accessToken, res.body.refreshToken, DEFAULT_PASSWORD);
}

interface StubRecord {
  binding: string;
  name: string;
  locationHint?: string;
  jurisdiction?: string;
  from: string;
}
const stubs = async (nx: Nexus): Promise<StubRecord[]> => (await nx.request("GET", "/__stubs")).body;
const to = (log: StubRecord[], binding: string, name: string) => log.filter((s) => s.binding === binding && s.name === name);

describe("placement and jurisdiction of every stub, in workerd", () => {
  test("homes from request.cf; inboxes at their user's home from the Worker and from objects; a direct chat at its creator's, a group at the majority; every stub in the jurisdiction", async () => {
    const nx = await start({ NEXUS_JURISDICTION: "eu", NEXUS_DIRECTORY_SHARDS: "4" });
    const tokyo = await signUp(nx, "tokyo", { continent: "AS", country: "JP", colo: "NRT" });
    const paris = await signUp(nx, "paris", { continent: "EU", country: "FR", colo: "CDG" });
    const berlin = await signUp(nx, "berlin", { continent: "EU", country: "DE", colo: "FRA" });
    expect([tokyo.id, paris.id, berlin.id].map((id) => /^u\d+-([a-z]+)_/.exec(id)?.[1])).toEqual(["apac", "weur", "weur"]);

    const direct = await tokyo.createDirect(paris);
    const group = await tokyo.createGroup("g", [paris, berlin]);
    await tokyo.must("POST", `/v1/conversations/${group.id}/messages`, { clientId: "c_place_1", text: "hi" }, 201);
    const inbox = await paris.openInbox(); // the Worker forwards the socket to paris's inbox object
    await inbox.next("inbox");
    // tokyo (who wrote in the group) comes online: tokyo's inbox object tells paris's, inbox → inbox.
    const tokyoInbox = await tokyo.openInbox();
    await inbox.next((f) => f.t === "presence" && f.p.userId === tokyo.id);
    await tokyoInbox.close();
    await inbox.close();

    // The mesh's notifications are fire-and-forget: wait until berlin's inbox was reached from the
    // group's object, and a contact's inbox from paris's (presence).
    let log: StubRecord[] = [];
    const meshSeen = () => to(log, "INBOX", berlin.id).some((s) => s.from === "ConversationDO") && log.some((s) => s.from === "InboxDO");
    for (let i = 0; i < 50 && !meshSeen(); i++) {
      await Bun.sleep(100);
      log = await stubs(nx);
    }

    // Creation: the only conversation stubs with a hint are the create calls.
    const created = (id: string) => to(log, "CONVERSATION", id).filter((s) => s.locationHint !== undefined);
    expect(created(direct.id).map((s) => s.locationHint)).toEqual(["apac"]); // the creator's (tokyo)
    expect(created(group.id).map((s) => s.locationHint)).toEqual(["weur"]); // 2 of 3 members in weur
    // Inboxes: always at the user's home, whoever reaches them (Worker or conversation object).
    for (const [user, home] of [[paris, "weur"], [berlin, "weur"], [tokyo, "apac"]] as const) {
      const seen = to(log, "INBOX", user.id);
      expect(seen.length).toBeGreaterThan(0);
      expect(new Set(seen.map((s) => s.locationHint))).toEqual(new Set([home]));
    }
    expect(to(log, "INBOX", berlin.id).some((s) => s.from === "ConversationDO")).toBe(true);
    expect(to(log, "INBOX", paris.id).some((s) => s.from === "Worker")).toBe(true);
    // Accounts were spread over the shards' objects; per-user limits sit at the user's home.
    expect(log.some((s) => s.binding === "DIRECTORY" && s.name?.startsWith("directory"))).toBe(true);
    expect(to(log, "RATE_LIMIT", `rest:u:${tokyo.id}`).map((s) => s.locationHint)).toContain("apac");
    // Jurisdiction: every stub, of every binding, from the Worker and from objects.
    expect(new Set(log.map((s) => s.binding))).toEqual(new Set(Object.keys(CLASSES)));
    expect(new Set(log.map((s) => s.from))).toEqual(new Set(["Worker", "ConversationDO", "InboxDO"]));
    expect(log.filter((s) => s.jurisdiction !== "eu")).toEqual([]);
  });

  test("without NEXUS_JURISDICTION no stub has one", async () => {
    const nx = await start({ NEXUS_DIRECTORY_SHARDS: "4" });
    const a = await signUp(nx, "nojur", { continent: "SA", country: "BR" });
    expect(a.id).toMatch(/^u\d+-sam_/);
    await a.must("GET", "/v1/conversations");
    const log = await stubs(nx);
    expect(log.length).toBeGreaterThan(0);
    expect(log.filter((s) => s.jurisdiction !== undefined)).toEqual([]);
  });

  test("an invalid NEXUS_JURISDICTION stops the Worker: 503 naming the variable", async () => {
    const nx = await start({ NEXUS_JURISDICTION: "mars" });
    const r = await nx.request("POST", "/v1/auth/login", { username: "someone", password: "whatever-pw" });
    expect(r.status).toBe(503);
    expect(r.body.error.message).toContain("NEXUS_JURISDICTION");
  });
});
