/**
 * Any signed-in user can name any conversation id. On Cloudflare each id is a Durable Object, and
 * an object that stores anything is kept (and billed): looking up an unknown id, over REST or a
 * socket, must leave it without tables. A real conversation gets its tables when it is created.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { CloseCodes } from "../../protocol/index.ts";
import { Nexus, newClientId } from "../support/client.ts";
import { startNexusWorker, type WorkerTarget } from "./worker.ts";

let t: WorkerTarget;
let nx: Nexus;

beforeAll(async () => {
  t = await startNexusWorker();
  nx = new Nexus(t.url);
}, 60_000);

afterAll(async () => {
  await nx?.closeAll();
  await t?.stop();
}, 30_000);

async function storedItems(conversationId: string): Promise<string[]> {
  const ns = await t.running().mf.getDurableObjectNamespace("CONVERSATION");
  const stub = ns.get(ns.idFromName(conversationId)) as unknown as { storedItems(): Promise<string[]> };
  return JSON.parse(JSON.stringify(await stub.storedItems())) as string[];
}

test("probing unknown conversation ids leaves their objects empty; creating one gives it tables", async () => {
  const eve = await nx.register("probe");
  const viaRest = `g_probe${Math.random().toString(36).slice(2, 12)}`;
  const viaSocket = `g_probe${Math.random().toString(36).slice(2, 12)}`;

  const history = await eve.api("GET", `/v1/conversations/${viaRest}/messages`);
  expect(history.status).toBe(404);
  const send = await eve.api("POST", `/v1/conversations/${viaRest}/messages`, { clientId: newClientId(), text: "hello?" });
  expect(send.status).toBe(404);
  const sock = await eve.openConversation(viaSocket);
  expect((await sock.closed).code).toBe(CloseCodes.notFound);

  expect(await storedItems(viaRest)).toEqual([]);
  expect(await storedItems(viaSocket)).toEqual([]);

  const bob = await nx.register("probe");
  const conv = await eve.createGroup("real", [bob]);
  const tables = await storedItems(conv.id);
  expect(tables).toContain("conversations");
  expect(tables).toContain("events");
  // And it works as before: a message goes in and comes back in the history.
  const { sock: s } = await eve.join(conv.id);
  expect((await s.sendMessage("first")).t).toBe("ack");
  const page = await eve.must("GET", `/v1/conversations/${conv.id}/messages`);
  expect(page.events.map((e: any) => e.text)).toContain("first");
});
