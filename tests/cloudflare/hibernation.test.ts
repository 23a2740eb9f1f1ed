/**
 * WebSocket hibernation in real workerd: with only hibernatable sockets and nothing pending, the
 * runtime evicts the ConversationDO from memory; the next frame wakes a new incarnation that reloads
 * the actor from SQLite and re-attaches every socket from its attachment (no welcome is re-sent).
 * An InboxDO does the same, and keeps the status its user chose (away) across the wake.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Nexus, newClientId } from "../support/client.ts";
import { startNexusWorker, type WorkerTarget } from "./worker.ts";

let t: WorkerTarget;

beforeAll(async () => {
  t = await startNexusWorker({ NEXUS_TYPING_TTL_MS: "500" });
}, 60_000);

afterAll(async () => {
  await t?.stop();
}, 30_000);

async function hostInfo(name: string, binding = "CONVERSATION"): Promise<{ incarnation: string; sockets: number; restoredSockets: number }> {
  const ns = await t.running().mf.getDurableObjectNamespace(binding);
  const stub = ns.get(ns.idFromName(name)) as unknown as { hostInfo(): Promise<any> };
  // Copy out of Miniflare's proxy into a plain object.
  return JSON.parse(JSON.stringify(await stub.hostInfo()));
}

/** An idle conversation with two sockets, each having seen a message; checked after the wake. */
async function idleConversation() {
  const nx = new Nexus(t.url);
  const [alice, bob] = [await nx.register("hib"), await nx.register("hib")];
  const conv = await alice.createGroup("sleepy", [bob]);
  const { sock: sa } = await alice.join(conv.id);
  const { sock: sb } = await bob.join(conv.id);
  expect((await sa.sendMessage("before sleep")).t).toBe("ack");
  await sb.next((f) => f.t === "event" && f.e.text === "before sleep");
  // (No RPC into the object before the idle period: Miniflare's Node-side proxy keeps a remote
  // reference to a returned object, which pins the object in memory and prevents hibernation.)
  return { nx, conv, sa, sb };
}

/** Bob's inbox with one socket, his status set to away and seen so by alice; checked after the wake. */
async function awayInbox() {
  const nx = new Nexus(t.url);
  const [alice, bob] = [await nx.register("hibaway"), await nx.register("hibaway")];
  const dm = await alice.createDirect(bob);
  // Bob takes part, so his presence is shown to alice (docs/api.md, presence).
  await bob.must("POST", `/v1/conversations/${dm.id}/messages`, { clientId: newClientId("hi"), text: "hi" }, 201);
  const bobInbox = await bob.openInbox();
  await bobInbox.next("inbox");
  for (let i = 0; i < 100 && !(await alice.must("GET", `/v1/presence?userIds=${bob.id}`)).presence.length; i++) await Bun.sleep(50);
  bobInbox.send({ t: "presence", status: "away" });
  // The Worker asks bob's inbox object over RPC (not Miniflare's proxy, which would pin it in memory).
  const presenceOfBob = async () => (await alice.must("GET", `/v1/presence?userIds=${bob.id}`)).presence[0];
  for (let i = 0; i < 50 && (await presenceOfBob()).status !== "away"; i++) await Bun.sleep(100);
  expect((await presenceOfBob()).status).toBe("away");
  return { nx, bob, bobInbox, presenceOfBob };
}

// Both objects are set up, then left idle together: one wait for workerd's eviction (~10 s of
// inactivity) serves both tests (20 s of the suite's time each before).
let sleepy: Awaited<ReturnType<typeof idleConversation>>;
let away: Awaited<ReturnType<typeof awayInbox>>;
beforeAll(async () => {
  sleepy = await idleConversation();
  away = await awayInbox();
  await Bun.sleep(20_000); // pacing only: long enough for both objects to be evicted
}, 90_000);

test("an idle conversation hibernates; sockets survive and keep working after the wake", async () => {
  const { nx, conv, sa, sb } = sleepy;
  const ack = await sa.sendMessage("after wake");
  expect(ack.t).toBe("ack");
  const ev = await sb.next((f) => f.t === "event" && f.e.text === "after wake");
  expect(ev.e.seq).toBe(ack.seq);
  const after = await hostInfo(conv.id);
  // restoredSockets counts sockets re-attached when this incarnation loaded: both, so it woke from hibernation.
  expect(after.restoredSockets).toBe(2);
  expect(after.sockets).toBe(2);
  // No second welcome after the wake: the sockets were restored, not reconnected.
  expect(sa.all("welcome").length).toBe(1);
  expect(sb.all("welcome").length).toBe(1);
  await nx.closeAll();
}, 60_000);

test("an inbox that hibernates while its user is away wakes away, not online", async () => {
  const { nx, bob, bobInbox, presenceOfBob } = away;
  expect((await presenceOfBob()).status).toBe("away");
  const info = await hostInfo(bob.id, "INBOX");
  expect(info.restoredSockets).toBe(1); // this incarnation re-attached the socket: it did hibernate
  // The socket still works, and the user's next choice is relayed as before.
  bobInbox.send({ t: "presence", status: "online" });
  for (let i = 0; i < 50 && (await presenceOfBob()).status !== "online"; i++) await Bun.sleep(100);
  expect((await presenceOfBob()).status).toBe("online");
  await nx.closeAll();
}, 60_000);
