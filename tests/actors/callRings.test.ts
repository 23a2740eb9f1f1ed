/**
 * Issue #20, defects 2 and 3 at the actor level: an answered call stops the ringing on the callee's
 * other devices (an `accept` from the callee on their inbox), and a call to someone with no socket
 * anywhere ends at once as missed (logged as a missed `call` event) instead of ringing for 45 s.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { summaryFor } from "../../actors/conversation/summary.ts";
import { BunActorSystem } from "../../hosts/bun/BunActorSystem.ts";
import { makeSystem, member, TestConn, tick } from "./harness.ts";

let env: Awaited<ReturnType<typeof makeSystem>>;
afterEach(async () => env && (await env.close()));

async function direct(id: string) {
  env = await makeSystem();
  const conv = env.system.conversation(id);
  await conv.create({ userId: "ann" }, { type: "direct", title: "", members: [member("ann"), member("ben")] });
  return conv;
}

describe("call rings", () => {
  test("answered on one device: the callee's inbox sockets hear an accept from the callee", async () => {
    const conv = await direct("d_ringaccept1");
    const ann = new TestConn("ann"), benPhone = new TestConn("ben"), benDesktopInbox = new TestConn("ben");
    await conv.connect(ann, {});
    await conv.connect(benPhone, {});
    await env.system.inbox("ben").connect(benDesktopInbox);
    await conv.receive(ann, JSON.stringify({ t: "call", callId: "call-acc-00001", action: "ring", media: "audio" }));
    await tick();
    await conv.receive(benPhone, JSON.stringify({ t: "call", callId: "call-acc-00001", action: "accept" }));
    await tick();
    expect(benDesktopInbox.of("call").map((f) => [f.action, f.from])).toEqual([["ring", "ann"], ["accept", "ben"]]);
    // The caller still gets the accept (from ben) on the conversation socket, and nothing was refused.
    expect(ann.of("call").map((f) => [f.action, f.from])).toEqual([["accept", "ben"]]);
    expect([...ann.of("error"), ...benPhone.of("error")]).toEqual([]);
  });

  test("nobody to ring: the call ends at once as missed, and is logged as missed", async () => {
    const conv = await direct("d_ringoffline");
    const ann = new TestConn("ann");
    await conv.connect(ann, {});
    await conv.receive(ann, JSON.stringify({ t: "call", callId: "call-off-00001", action: "ring", media: "video" }));
    await tick(100);
    expect(ann.of("call").map((f) => [f.action, f.from])).toEqual([["hangup", "ben"]]);
    const page = await conv.history({ userId: "ben" }, undefined, 50);
    expect(page.events.filter((e) => e.kind === "call").map((e: any) => [e.outcome, e.media, e.author])).toEqual([["missed", "video", "ann"]]);
  });

  test("a camera state signal reaches the other side of a call, and only a participant's is relayed", async () => {
    const conv = await direct("d_ringstate01");
    const ann = new TestConn("ann"), ben = new TestConn("ben");
    await conv.connect(ann, {});
    await conv.connect(ben, {});
    await conv.receive(ann, JSON.stringify({ t: "call", callId: "call-sta-00001", action: "ring", media: "video" }));
    await conv.receive(ben, JSON.stringify({ t: "call", callId: "call-sta-00001", action: "accept" }));
    await conv.receive(ann, JSON.stringify({ t: "call", callId: "call-sta-00001", action: "state", camera: false }));
    await tick();
    expect(ben.of("call").filter((f) => f.action === "state").map((f) => [f.from, f.camera])).toEqual([["ann", false]]);
    // Not about this call: refused, nothing relayed.
    await conv.receive(ben, JSON.stringify({ t: "call", callId: "call-other-0001", action: "state", camera: true }));
    await tick();
    expect(ben.of("error").map((f) => f.code)).toEqual(["not_found"]);
    expect(ann.of("call").filter((f) => f.action === "state")).toEqual([]);
  });

  test("a callee online only on their inbox is rung, not ended", async () => {
    const conv = await direct("d_ringonline1");
    const ann = new TestConn("ann"), benInbox = new TestConn("ben");
    await conv.connect(ann, {});
    await env.system.inbox("ben").connect(benInbox);
    await conv.receive(ann, JSON.stringify({ t: "call", callId: "call-onl-00001", action: "ring", media: "audio" }));
    await tick(100);
    expect(ann.of("call")).toEqual([]);
    expect(benInbox.of("call").map((f) => f.action)).toEqual(["ring"]);
  });

  test("a missed call is the callee's list preview and counts as unread for them, not the caller, also after a reload", async () => {
    const conv = await direct("d_ringmissed1");
    const ann = new TestConn("ann");
    await conv.connect(ann, {});
    await conv.send({ userId: "ben" }, { clientId: "missed-msg-1", text: "call me" });
    await conv.receive(ann, JSON.stringify({ t: "call", callId: "call-mis-00001", action: "ring", media: "video" }));
    await tick(100);
    const counts = (c: typeof conv) => ["ann", "ben"].map((u) => summaryFor("d_ringmissed1", c.state({ userId: u }), u, []));
    const [annRow, benRow] = counts(conv);
    expect(benRow!.preview).toMatchObject({ author: "ann", text: "", call: { media: "video", outcome: "missed" } });
    // ben: the missed call (his own message before it is read); ann: his message, her call not counted.
    expect([annRow!.unread, benRow!.unread]).toEqual([1, 1]);
    await tick(1100); // read cursors are written behind (within ~1 s)
    const reborn = new BunActorSystem(env.sql).conversation("d_ringmissed1");
    await reborn.ready();
    const [annAfter, benAfter] = counts(reborn);
    expect([annAfter!.unread, benAfter!.unread]).toEqual([1, 1]);
    expect(benAfter!.preview?.call).toEqual({ media: "video", outcome: "missed" });
    // The inbox row ben's list shows says the same.
    await tick(100);
    const inboxRow = (await env.system.inbox("ben").list({ userId: "ben" })).find((r) => r.id === "d_ringmissed1");
    expect(inboxRow).toMatchObject({ unread: 1, preview: { call: { outcome: "missed" } } });
  });
});
