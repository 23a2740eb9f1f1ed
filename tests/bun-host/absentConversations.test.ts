/**
 * Issue #18 item 14: 1,000 probes of conversation ids that do not exist left 1,000 actors in
 * memory on the Bun host. An actor that finds its conversation absent is dropped once idle; real
 * conversations, and ones being created, stay.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { BunActorSystem } from "../../hosts/bun/BunActorSystem.ts";
import { directId } from "../../edge/routes/conversationIds.ts";
import { call, makeHarness, register, type Harness } from "../edge-auth/harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await makeHarness({ RATE_LIMIT_PER_MINUTE: "100000" });
});
afterEach(async () => h.close());

const actorCount = () => (h.deps.actors as BunActorSystem).stats.conversations;
/** Lets the check that follows each load (one macrotask later) run. */
const settle = () => Bun.sleep(20);

describe("actors of conversations that do not exist", () => {
  test("1,000 probes of absent ids (info, history, send) leave no actor; real ones stay", async () => {
    const alice = await register(h, "alice");
    const bob = await register(h, "bob");
    const group = await call(h, "POST", "/v1/conversations", { token: alice.accessToken, body: { title: "real", members: ["bob"] } });
    expect(group.status).toBe(201);
    await settle();
    const base = actorCount();
    expect(base).toBe(1);

    const N = 1000;
    const probes = [];
    for (let i = 0; i < N; i++) {
      const id = `g_probe${String(i).padStart(6, "0")}`;
      const kind = i % 3;
      probes.push(
        kind === 0
          ? call(h, "GET", `/v1/conversations/${id}`, { token: bob.accessToken })
          : kind === 1
            ? call(h, "GET", `/v1/conversations/${id}/messages`, { token: bob.accessToken })
            : call(h, "POST", `/v1/conversations/${id}/messages`, { token: bob.accessToken, body: { clientId: `probe-${i}-xxxx`, text: "hi" } }),
      );
      if (probes.length === 50) expect((await Promise.all(probes.splice(0))).every((r) => r.status === 404)).toBe(true);
    }
    expect((await Promise.all(probes)).every((r) => r.status === 404)).toBe(true);
    await settle();
    expect(actorCount()).toBe(base);
    // The real conversation still answers, from its resident actor.
    expect((await call(h, "GET", `/v1/conversations/${group.body.id}`, { token: bob.accessToken })).status).toBe(200);
    expect(actorCount()).toBe(base);
  });

  test("probing a direct conversation's id before it exists does not get in the way of creating it", async () => {
    const alice = await register(h, "alice");
    const bob = await register(h, "bob");
    const id = await directId(alice.user.id, bob.user.id);
    expect((await call(h, "GET", `/v1/conversations/${id}`, { token: alice.accessToken })).status).toBe(404);
    // A probe and the creation at once: the creation wins, the actor stays.
    const [probe, created] = await Promise.all([
      call(h, "GET", `/v1/conversations/${id}/messages`, { token: bob.accessToken }),
      call(h, "POST", "/v1/conversations/direct", { token: alice.accessToken, body: { username: "bob" } }),
    ]);
    expect([200, 404]).toContain(probe.status);
    expect(created.status).toBe(200);
    expect(created.body.id).toBe(id);
    await settle();
    expect(actorCount()).toBe(1);
    const sent = await call(h, "POST", `/v1/conversations/${id}/messages`, { token: bob.accessToken, body: { clientId: "after-probe-1", text: "hi" } });
    expect(sent.status).toBe(201);
    const history = await call(h, "GET", `/v1/conversations/${id}/messages`, { token: alice.accessToken });
    expect(history.body.events.map((e: any) => e.kind)).toEqual(["created", "message"]);
  });
});
