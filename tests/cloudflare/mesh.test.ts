/**
 * Actor-to-actor traffic between Durable Objects (DoMesh over DO RPC) in real workerd: presence
 * fan-out between inbox objects, presence queries, and call rings from a conversation object to the
 * callee's inbox object.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Nexus, newClientId, type Session } from "../support/client.ts";
import { startNexusWorker, type WorkerTarget } from "./worker.ts";

let t: WorkerTarget;
let nx: Nexus;
let alice: Session, bob: Session;
let dm: any;

beforeAll(async () => {
  t = await startNexusWorker();
  nx = new Nexus(t.url);
  alice = await nx.register("mesha");
  bob = await nx.register("meshb");
  dm = await alice.createDirect(bob);
  // Presence is shown only by those who took part in a shared conversation (docs/api.md): both write.
  for (const s of [alice, bob]) await s.must("POST", `/v1/conversations/${dm.id}/messages`, { clientId: newClientId("hi"), text: "hi" }, 201);
  for (let i = 0; i < 100 && !(await alice.must("GET", `/v1/presence?userIds=${bob.id}`)).presence.length; i++) await Bun.sleep(50);
}, 60_000);

afterAll(async () => {
  await nx?.closeAll();
  await t?.stop();
}, 30_000);

const presenceOf = async (who: Session, of: Session) =>
  (await who.must("GET", `/v1/presence?userIds=${of.id}`)).presence[0];

describe("DoMesh between Durable Objects", () => {
  test("presence: offline → online when the inbox socket opens (contacts are told) → offline with lastSeen", async () => {
    expect(await presenceOf(alice, bob)).toMatchObject({ userId: bob.id, status: "offline" });
    const aliceInbox = await alice.openInbox();
    await aliceInbox.next("inbox");
    const bobInbox = await bob.openInbox();
    const first = await bobInbox.next("inbox");
    expect(first.conversations.map((c: any) => c.id)).toContain(dm.id);
    // Alice's inbox object hears about bob from bob's inbox object.
    const online = await aliceInbox.next((f) => f.t === "presence" && f.p.userId === bob.id && f.p.status === "online");
    expect(online.p.status).toBe("online");
    expect(await presenceOf(alice, bob)).toMatchObject({ status: "online" });
    // Away is a client choice, relayed the same way.
    bobInbox.send({ t: "presence", status: "away" });
    await aliceInbox.next((f) => f.t === "presence" && f.p.userId === bob.id && f.p.status === "away");
    await bobInbox.close();
    const offline = await aliceInbox.next((f) => f.t === "presence" && f.p.userId === bob.id && f.p.status === "offline");
    expect(typeof offline.p.lastSeen).toBe("number");
    await aliceInbox.close();
  });

  test("a call ring travels conversation object → callee's inbox object → callee's inbox socket", async () => {
    const bobInbox = await bob.openInbox();
    await bobInbox.next("inbox");
    const { sock } = await alice.join(dm.id);
    const callId = "call_" + Math.random().toString(36).slice(2, 12);
    sock.send({ t: "call", callId, action: "ring", media: "audio" });
    const ring = await bobInbox.next((f) => f.t === "call" && f.callId === callId);
    expect(ring).toMatchObject({ t: "call", action: "ring", from: alice.id, conversationId: dm.id, media: "audio" });
  });

  test("presence of someone you share no conversation with is not disclosed", async () => {
    const carol = await nx.register("meshc");
    const r = await carol.must("GET", `/v1/presence?userIds=${bob.id}`);
    expect(r.presence).toEqual([]);
  });
});
