/**
 * Attachment bytes on the Cloudflare host: deleting a message deletes its attachments' objects in
 * R2 (Miniflare's bucket, read directly) once the delete is committed, and the download is a 404.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Nexus, newClientId } from "../support/client.ts";
import { startNexusWorker, type WorkerTarget } from "./worker.ts";

let target: WorkerTarget;
let nx: Nexus;

beforeAll(async () => {
  target = await startNexusWorker();
  nx = new Nexus(target.url);
  await nx.register("root");
}, 120_000);

afterAll(async () => {
  await nx?.closeAll();
  await target?.stop();
});

test("deleting a message deletes its attachment bytes from R2", async () => {
  const [alice, bob] = [await nx.register("r2-a"), await nx.register("r2-b")];
  const conv = await alice.createGroup("files", [bob]);
  const up = await nx.request("POST", `/v1/attachments?conversationId=${conv.id}&name=f.bin`, new Uint8Array(64).fill(1), alice.token,
    { "content-type": "application/octet-stream" });
  expect(up.status).toBe(201);
  const bucket = await target.running().mf.getR2Bucket("ATTACHMENTS");
  const key = `${conv.id}/${up.body.id}`;
  expect(await bucket.head(key)).not.toBeNull();
  const sent = await alice.must("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("r2"), text: "", attachments: [up.body.id] }, 201);
  await alice.must("DELETE", `/v1/conversations/${conv.id}/messages/${sent.seq}`);
  expect((await bob.api("GET", `/v1/conversations/${conv.id}/attachments/${up.body.id}`)).status).toBe(404);
  let head = await bucket.head(key);
  for (const deadline = Date.now() + 5000; head !== null && Date.now() < deadline; head = await bucket.head(key)) await Bun.sleep(50);
  expect(head).toBeNull();
}, 60_000);
