/**
 * A user's inbox is homed in the region they signed up through (#15, found by a region-loss test;
 * Host.claimInboxHome, hosts/cluster/clusterNode.ts): regions a and b, 20 ms one way between them.
 * Before, an inbox was homed wherever it was first touched, so a group made through b homed its
 * a-members' inboxes in b: losing b took their conversation list and inbox socket with it, and every
 * inbox socket of theirs through a crossed the WAN until the policy moved it (~80 s).
 * Checked in the placement store itself and in each region's primary (where the rows are).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { HomeRegions, placementKey } from "../../hosts/cluster/homeRegions.ts";
import { Nexus, newClientId, type Session, type TestSocket, type Frame } from "../support/client.ts";
import { gauge, regionRows, startCluster, type ClusterNode, type LocalCluster } from "./harness.ts";

/** The placement bucket of the default cluster name (NEXUS_CLUSTER_NAME "nexus"). */
const BUCKET = "nexus_placement";

let cl: LocalCluster;
let a1: ClusterNode, b1: ClusterNode;
let nc: NatsConnection;
/** Read-only use: entry() never places anything (regionOf would, for its "region"). */
let placement: HomeRegions;

beforeAll(async () => {
  cl = await startCluster([{ id: "a1", region: "a" }, { id: "b1", region: "b" }], { NEXUS_SENDS_PER_SECOND: "10000" }, { wanMs: 20 });
  ({ a1, b1 } = cl.nodes as Record<string, ClusterNode>);
  nc = await connect({ servers: cl.nats.a!.url });
  placement = await HomeRegions.open(nc, "test-reader", { bucket: BUCKET });
}, 180_000);
afterAll(async () => {
  await nc?.close();
  await cl?.stop();
}, 60_000);

const sleep = Bun.sleep;
const accounts = (via: ClusterNode, ...names: string[]) => Promise.all(names.map((n) => new Nexus(via.url).register(n)));
const homeOf = async (kind: "inbox" | "conversation", id: string) => (await placement.entry(kind, id))?.region ?? null;

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; ; await sleep(100)) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

/** The inbox's summary rows on each region's primary. */
async function inboxRows(userId: string): Promise<Record<"a" | "b", number>> {
  const count = async (region: string) =>
    Number((await regionRows(cl, region, "SELECT count(*) AS n FROM inbox_rows WHERE user_id = ?", [userId]))[0]?.n ?? 0);
  return { a: await count("a"), b: await count("b") };
}

async function inboxSocket(s: Session): Promise<{ sock: TestSocket; list: Frame }> {
  const sock = await s.openInbox();
  return { sock, list: await sock.next("inbox") };
}

describe("cluster: an inbox's home is its user's region", () => {
  test("users signed up through a keep their inboxes in a when a group and a direct chat are made through b", async () => {
    const [ana, ben] = await accounts(a1, "iha", "ihb");
    const [bo] = await accounts(b1, "ihc");
    // Claimed at sign-up, before anyone else touched them.
    expect(await homeOf("inbox", ana.id)).toBe("a");
    expect(await homeOf("inbox", ben.id)).toBe("a");
    expect(await homeOf("inbox", bo.id)).toBe("b");

    // Made through b by a b-user: the conversations are homed in b (their first toucher's region),
    // and every member's inbox is touched from b (its summary).
    const group = await bo.createGroup("made in b", [ana, ben]);
    const direct = await bo.createDirect(ana);
    // An a-user who logs in through b and makes a group there does not move her inbox either.
    const anaViaB = await new Nexus(b1.url).login(ana.username, ana.password);
    const fromB = await anaViaB.createGroup("ana made this in b", [ben, bo]);
    for (const id of [group.id, direct.id, fromB.id]) expect(await homeOf("conversation", id)).toBe("b");
    await bo.must("POST", `/v1/conversations/${direct.id}/messages`, { clientId: newClientId("ih"), text: "hello from b" }, 201);

    // Summaries reach the inboxes after each commit: wait for all, then look where they were written.
    await until("ana's 3 summaries in a", async () => (await inboxRows(ana.id)).a === 3);
    await until("bo's message unread in ana's list", async () =>
      (await ana.must("GET", "/v1/conversations")).conversations.find((c: any) => c.id === direct.id)?.unread === 1);
    await until("ben's 2 summaries in a", async () => (await inboxRows(ben.id)).a === 2);
    await until("bo's 3 summaries in b", async () => (await inboxRows(bo.id)).b === 3);
    expect(await inboxRows(ana.id)).toEqual({ a: 3, b: 0 });
    expect(await inboxRows(ben.id)).toEqual({ a: 2, b: 0 });
    expect(await inboxRows(bo.id)).toEqual({ a: 0, b: 3 });
    for (const u of [ana, ben]) expect(await homeOf("inbox", u.id)).toBe("a");
    expect(await homeOf("inbox", bo.id)).toBe("b");

    // Ana's inbox socket through a1 is served in a (not bridged across the WAN) and gets updates.
    const { sock, list } = await inboxSocket(ana);
    expect(list.conversations.map((c: any) => c.id).sort()).toEqual([group.id, direct.id, fromB.id].sort());
    expect(list.conversations.find((c: any) => c.id === direct.id)?.unread).toBe(1);
    expect(await gauge(a1, "nexus_cluster_bridged_sockets")).toBe(0);
    await bo.must("POST", `/v1/conversations/${group.id}/messages`, { clientId: newClientId("ih"), text: "to the group" }, 201);
    const update = await sock.next((f) => f.t === "conv" && f.c.id === group.id && f.c.preview?.text === "to the group");
    expect(update.c.unread).toBeGreaterThan(0);
    await sock.close();

    // Bo's inbox socket through b1 is served in b.
    const { sock: boSock, list: boList } = await inboxSocket(bo);
    expect(boList.conversations.map((c: any) => c.id).sort()).toEqual([group.id, direct.id, fromB.id].sort());
    expect(await gauge(b1, "nexus_cluster_bridged_sockets")).toBe(0);
    await boSock.close();
  }, 120_000);

  test("an inbox with no home yet (an account from before the claim) is homed by its user's login through a", async () => {
    // An account signed up through b whose placement entry is then deleted: what an account made
    // before sign-ups claimed a home looks like. b1 still caches "b" for it, so the rest of this
    // test goes through a1 only.
    const [lea] = await accounts(b1, "ihl");
    const kv = await new Kvm(nc).open(BUCKET);
    await kv.delete(placementKey("inbox", lea.id));
    expect(await homeOf("inbox", lea.id)).toBeNull();

    const viaA = await new Nexus(a1.url).login(lea.username, lea.password);
    // The login's claim runs beside its answer.
    expect(await until("lea's inbox homed by her login", () => homeOf("inbox", lea.id))).toBe("a");
    const { sock, list } = await inboxSocket(viaA);
    expect(list.conversations).toEqual([]);
    expect(await gauge(a1, "nexus_cluster_bridged_sockets")).toBe(0);
    await sock.close();
  }, 60_000);
});
