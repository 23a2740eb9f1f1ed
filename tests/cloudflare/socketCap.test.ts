/**
 * The per-user socket cap on Cloudflare is counted in the user's InboxDO (hosts/cloudflare/
 * userSockets.ts). Sockets that die without a close event reaching their object (workerd killed)
 * leave registrations behind; at the cap the registry asks each holder whether its socket is still
 * open, so they do not lock the user out. (The cap across conversations and the inbox itself is in
 * the conformance suite, tests/conformance/abuse.ts.)
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Nexus, type TestSocket } from "../support/client.ts";
import { startNexusWorker, type WorkerTarget } from "./worker.ts";

const MAX = 3;
let target: WorkerTarget;

beforeAll(async () => {
  target = await startNexusWorker({ NEXUS_MAX_SOCKETS_PER_USER: String(MAX) });
}, 120_000);
afterAll(async () => {
  await target?.stop();
});

test("registrations of sockets killed with workerd do not hold places: after a crash the user opens MAX sockets again, and no more", async () => {
  let nx = new Nexus(target.url);
  const alice = await nx.register("capcrash");
  const conv = await alice.createGroup("cap", []);
  for (let i = 0; i < MAX; i++) await alice.join(conv.id);
  const over = await (await alice.openConversation(conv.id)).closed;
  expect(over.rejectedStatus).toBe(429);
  await target.restart(); // SIGKILL: no close event reaches the object
  await nx.closeAll();
  nx = new Nexus(target.url);
  const again = await nx.login(alice.username);
  const open: TestSocket[] = [];
  for (let i = 0; i < MAX; i++) open.push((await again.join(conv.id)).sock);
  expect(open.length).toBe(MAX);
  const still = await (await again.openConversation(conv.id)).closed;
  expect(still.opened).toBe(false);
  expect(still.rejectedStatus).toBe(429);
  await nx.closeAll();
}, 90_000);
