/**
 * A paused inbox owner on real processes (two actor nodes and an edge-only node in one region, real
 * nats-server, redis-server, sqld), as failover.test.ts pauses a conversation's owner: Alice's inbox
 * owner S holds her chosen status behind (written within 2 s) when it is stopped (SIGSTOP), and a
 * change of her notification settings sent to it waits in its socket buffer. The other node N takes
 * her inbox over once S's lease has run out; through N she pauses notifications (answered 200) and
 * chooses away, then online (written behind by N). S is continued; it still believes it owns the inbox
 * for 1.5 s (NEXUS_LEASE_LOSS_EXIT_DELAY_MS): its write-behind is refused by the inbox's fence in
 * storage (actors/storage/inboxWriterFence.ts), and the waiting settings change is either refused
 * (503) or, when the refused write-behind came first, answered by a fresh instance built on what N
 * stored; storage keeps N's pause and choice, and N writes on. Without the fence S answered the
 * change 200 from its stale settings, and storage ended with S's "away" and no pause (checked by
 * hand: see the commit message).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Nexus } from "../support/client.ts";
import { gauge, regionRows, startCluster, type ClusterNode, type LocalCluster } from "./harness.ts";

let cl: LocalCluster;

beforeAll(async () => {
  cl = await startCluster([{ id: "a1", region: "a" }, { id: "a2", region: "a" }, { id: "e1", region: "a", role: "edge" }], {
    NEXUS_LEASE_LOSS_EXIT_DELAY_MS: "1500",
  });
}, 120_000);
afterAll(() => cl?.stop(), 60_000);

const inboxActors = async () => ({ a1: await gauge(cl.nodes.a1!, "nexus_inbox_actors"), a2: await gauge(cl.nodes.a2!, "nexus_inbox_actors") });

test("a paused inbox owner, continued after a takeover: its write-behind is refused, a settings change it got overwrites nothing; storage keeps the new owner's", async () => {
  const alice0 = await new Nexus(cl.nodes.e1!.url).register("ip");
  // Her inbox is loaded by the first actor node her list is asked of: that node is S.
  const before = await inboxActors();
  const viaA1 = await new Nexus(cl.nodes.a1!.url).login(alice0.username, alice0.password);
  await viaA1.must("GET", "/v1/conversations");
  const after = await inboxActors();
  const sId = after.a1 > before.a1 ? "a1" : after.a2 > before.a2 ? "a2" : null;
  expect(sId).not.toBeNull();
  const s: ClusterNode = cl.nodes[sId!]!;
  const n: ClusterNode = cl.nodes[sId === "a1" ? "a2" : "a1"]!;
  const viaS = await new Nexus(s.url).login(alice0.username, alice0.password);
  const viaN = await new Nexus(n.url).login(alice0.username, alice0.password);

  // On S: Alice chooses away (held behind for 2 s), then S stops.
  const inboxS = await viaS.openInbox();
  await inboxS.next((f) => f.t === "inbox");
  inboxS.send({ t: "presence", status: "away" });
  await Bun.sleep(300);
  const peersBefore = await gauge(n, "nexus_cluster_peers");
  process.kill(s.proc.pid, "SIGSTOP");
  // A settings change reaches S while it is stopped: it waits in S's socket buffer.
  const staleChange = viaS.api("PUT", "/v1/me/notifications/dnd", { schedule: null });

  // N takes the inbox over (after S's lease) and stores what Alice is answered for.
  while ((await gauge(n, "nexus_cluster_peers")) >= peersBefore) await Bun.sleep(20);
  const paused = await viaN.must("PUT", "/v1/me/notifications/dnd", { schedule: null, pauseMinutes: 60 });
  expect(paused.dnd.pausedUntil).toBeGreaterThan(Date.now());
  const inboxN = await viaN.openInbox();
  await inboxN.next((f) => f.t === "inbox");
  inboxN.send({ t: "presence", status: "away" });
  await Bun.sleep(100);
  inboxN.send({ t: "presence", status: "online" });
  await Bun.sleep(2_500); // N's write-behind (2 s) stores "online"
  const storedBefore = await regionRows(cl, "a", "SELECT status FROM chosen_status WHERE user_id = ?", [alice0.id]);
  expect(storedBefore).toEqual([{ status: "online" }]);

  // S goes on: it still believes it owns the inbox until it exits (1.5 s after it notices).
  const exited = s.proc.exited;
  process.kill(s.proc.pid, "SIGCONT");
  const answer = await staleChange;
  // Refused (503 storage_unavailable: retry), or, when S's refused write-behind came first, answered
  // by the fresh instance S loaded after dropping the refused one: built on what N stored (the
  // pause), nothing of N's overwritten (inboxWriterFence.ts: a stale node may claim again after
  // reading everything). Never S's stale settings (pausedUntil null) answered 200.
  if (answer.status === 200) expect(answer.body.dnd.pausedUntil).toBe(paused.dnd.pausedUntil);
  else expect(answer.status).toBe(503);
  const deadline = Date.now() + 10_000;
  while (!s.proc.log(100_000).includes("owner_fence") && Date.now() < deadline) await Bun.sleep(50);
  expect(s.proc.log(100_000)).toContain("CHECK constraint failed: owner_fence");
  expect(s.proc.log(100_000)).toContain(`[inbox ${alice0.id}] a write was refused`);
  expect((await exited).code).toBe(1);
  console.log(`[inbox paused] the settings change sent to S was answered ${answer.status} ${answer.text.slice(0, 120)}`);

  // N writes on: its next write is refused at most once (if S wrote after N's last write, N reloads)
  // and the retry is stored, as a client retries a 503.
  let again = await viaN.api("PUT", "/v1/me/notifications/dnd", { schedule: null, pauseMinutes: 90 });
  const firstTry = again.status;
  if (again.status === 503) again = await viaN.api("PUT", "/v1/me/notifications/dnd", { schedule: null, pauseMinutes: 90 });
  expect(again.status).toBe(200);
  console.log(`[inbox paused] N's next write: first try ${firstTry}`);

  // Storage holds N's: the pause Alice was last answered for, and her last choice (online).
  expect(await regionRows(cl, "a", "SELECT status FROM chosen_status WHERE user_id = ?", [alice0.id])).toEqual([{ status: "online" }]);
  const settings = await regionRows(cl, "a", "SELECT settings FROM notify_settings WHERE user_id = ?", [alice0.id]);
  expect(JSON.parse(String(settings[0]?.settings)).dnd.pausedUntil).toBe(again.body.dnd.pausedUntil);
  const read = await viaN.must("GET", "/v1/me/notifications");
  expect(read.dnd.pausedUntil).toBe(again.body.dnd.pausedUntil);
  await inboxN.close().catch(() => {});
  await inboxS.close().catch(() => {});
  await s.start();
}, 120_000);
