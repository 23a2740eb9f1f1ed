/**
 * A restarted node serves before its replicas' first sync (docs/cluster.md "What a node's restart
 * costs"; hosts/cluster/storage/replicaOpening.ts, accountsReplica.ts). Regions a (the accounts'
 * home) and c (c1, c2), 40 ms one way between them. Every node's replicas start their first sync 8 s
 * late here (NEXUS_REPLICA_OPEN_DELAY_MS), so that what a node answers while they open can be seen.
 * c1 is killed; meanwhile c's conversation gets more messages, a user signs up and another changes
 * her password: c1's replica files (kept across the restart) trail all of it. Started again, c1
 * answers /health, logins, tickets and a message's ack before its replicas synced, and every read is
 * exact (the new password only, the new user, the whole history). Writes made through c1 while its
 * replicas open (a sign-up, a password change) are read back on c1 after it switched to them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DEFAULT_PASSWORD, Nexus, type Session } from "../support/client.ts";
import { gauge, startCluster, type ClusterNode, type LocalCluster } from "./harness.ts";

const OPEN_DELAY_MS = 8000;
let cl: LocalCluster;
let a1: ClusterNode, c1: ClusterNode, c2: ClusterNode;

beforeAll(async () => {
  cl = await startCluster([{ id: "a1", region: "a" }, { id: "c1", region: "c" }, { id: "c2", region: "c" }],
    { NEXUS_MOVE_CHECK_MS: "0", NEXUS_SENDS_PER_SECOND: "10000", NEXUS_REPLICA_OPEN_DELAY_MS: String(OPEN_DELAY_MS) }, { wanMs: 40 });
  ({ a1, c1, c2 } = cl.nodes as Record<string, ClusterNode>);
}, 120_000);
afterAll(async () => {
  await cl?.stop();
}, 60_000);

const login = (node: ClusterNode, username: string, password: string) => new Nexus(node.url).request("POST", "/v1/auth/login", { username, password });
/** Other sessions are revoked; this one goes on with the tokens it gets back. */
async function changePassword(s: Session, from: string, to: string): Promise<void> {
  const session = await s.must("POST", "/v1/me/password", { currentPassword: from, newPassword: to });
  s.token = session.accessToken;
  s.refreshToken = session.refreshToken;
}
const replicasOpen = async (node: ClusterNode) => (await gauge(node, "nexus_replica_open")) + (await gauge(node, "nexus_accounts_replica_open"));

async function sendVia(s: Session, convId: string, n: number, tag: string): Promise<void> {
  const { sock } = await s.join(convId);
  for (let i = 0; i < n; i++) expect((await sock.sendMessage(`${tag} ${i}`)).t).toBe("ack");
  await sock.close();
}

describe("cluster: a restarted node", () => {
  test("serves at once; while its replicas open it reads the primaries (never their trailing files), then switches to them", async () => {
    await new Nexus(a1.url).register("rsadmin");
    const viaC2 = new Nexus(c2.url);
    const alice = await viaC2.register("rsalice");
    const bob0 = await viaC2.register("rsbob");
    const conv = await alice.createGroup("restart", [bob0]); // homed in c, owned by c2 (it claimed it)
    await sendVia(alice, conv.id, 20, "before");
    // c1's replica files hold all that: they are open and were read through c1.
    const bobOnC1 = await new Nexus(c1.url).login(bob0.username, bob0.password);
    expect((await bobOnC1.fullHistory(conv.id)).length).toBe((await alice.fullHistory(conv.id)).length);
    for (let until = Date.now() + 15_000; (await replicasOpen(c1)) < 2; await Bun.sleep(100)) expect(Date.now()).toBeLessThan(until);

    await c1.kill();
    // What c1's files will not have: more messages, a new user, a changed password.
    await sendVia(alice, conv.id, 15, "while c1 was down");
    const carol = await new Nexus(a1.url).register("rscarol");
    const newAlicePw = "a brand new passphrase for alice";
    await changePassword(alice, DEFAULT_PASSWORD, newAlicePw);

    const t0 = performance.now();
    await c1.start(); // returns once /health answers
    const healthy = performance.now() - t0;
    expect(await replicasOpen(c1)).toBe(0); // neither replica has synced yet (8 s late)
    const homeReadsBefore = await gauge(c1, "nexus_accounts_home_reads");

    // Logins read the accounts' home: the new password only, the new user found.
    expect((await login(c1, alice.username, newAlicePw)).status).toBe(200);
    expect((await login(c1, alice.username, DEFAULT_PASSWORD)).status).toBe(401);
    expect((await login(c1, carol.username, carol.password)).status).toBe(200);
    const bob = await new Nexus(c1.url).login(bob0.username, bob0.password);
    const loggedIn = performance.now() - t0;
    expect(await gauge(c1, "nexus_accounts_home_reads")).toBeGreaterThan(homeReadsBefore);
    // Writes through c1 while its accounts replica opens, read back on c1 once it switched to it.
    const dave = await new Nexus(c1.url).register("rsdave");
    const newBobPw = "a brand new passphrase for bob";
    await changePassword(bob, DEFAULT_PASSWORD, newBobPw);
    expect(await replicasOpen(c1)).toBe(0); // all of the above before the replicas synced
    // A ticket, a socket and an ack through c1; the history through c1 is the whole one.
    const { sock } = await bob.join(conv.id);
    expect((await sock.sendMessage("from c1 while its replicas open")).t).toBe("ack");
    const acked = performance.now() - t0;
    await sock.close();
    const truth = await alice.fullHistory(conv.id);
    expect(truth.filter((e: any) => e.kind === "message").length).toBe(36);
    expect(await bob.fullHistory(conv.id)).toEqual(truth);
    const opening = (await replicasOpen(c1)) === 0;
    console.log(`[restart] c1: /health ${healthy.toFixed(0)} ms, logins ${loggedIn.toFixed(0)} ms, an ack ${acked.toFixed(0)} ms after its spawn; `
      + `history read ${opening ? "before" : "after"} its replicas synced`);

    for (let until = Date.now() + 20_000; (await replicasOpen(c1)) < 2; await Bun.sleep(100)) expect(Date.now()).toBeLessThan(until);
    const replicaReads = await gauge(c1, "nexus_accounts_replica_reads");
    expect((await login(c1, dave.username, dave.password)).status).toBe(200);
    expect((await login(c1, bob0.username, newBobPw)).status).toBe(200);
    expect((await login(c1, bob0.username, DEFAULT_PASSWORD)).status).toBe(401);
    expect((await login(c1, alice.username, newAlicePw)).status).toBe(200);
    expect(await gauge(c1, "nexus_accounts_replica_reads")).toBeGreaterThan(replicaReads); // read from the replica now
    // History through c1, now with its replica: still the whole one.
    const bobAgain = await new Nexus(c1.url).login(bob0.username, newBobPw);
    expect(await bobAgain.fullHistory(conv.id)).toEqual(await alice.fullHistory(conv.id));
    // Nothing is left queued for the region's primary once the traffic is over (the operator's gauge).
    for (let until = Date.now() + 10_000; (await gauge(c1, "nexus_storage_writes_pending")) > 0; await Bun.sleep(100)) expect(Date.now()).toBeLessThan(until);
    expect(await gauge(c1, "nexus_storage_commits_in_flight_max")).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
