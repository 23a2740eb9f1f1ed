/**
 * Attachment bytes on the Cloudflare host: deleting a message deletes its attachments' objects in
 * R2 (Miniflare's bucket, read directly) once the delete is committed, and the download is a 404;
 * the conversation's alarm sweeps uploads no message referenced in time, and R2 objects without a row.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Nexus, newClientId } from "../support/client.ts";
import { startNexusWorker, type WorkerTarget } from "./worker.ts";

let target: WorkerTarget;
let nx: Nexus;

beforeAll(async () => {
  // Uploads may wait 3 s for a message here (then 3 s of margin before the sweep takes them).
  target = await startNexusWorker({ ATTACHMENT_UNREFERENCED_TTL_SECONDS: "3" });
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

test("the conversation's alarm sweeps an upload no message referenced, and bytes without a row; sent ones stay", async () => {
  const [alice, bob] = [await nx.register("r2s-a"), await nx.register("r2s-b")];
  const conv = await alice.createGroup("sweep", [bob]);
  const bucket = await target.running().mf.getR2Bucket("ATTACHMENTS");
  const orphan = `${conv.id}/a_orphan0123456789`;
  await bucket.put(orphan, new Uint8Array([1])); // bytes without a row, older than the uploads below
  const upload = () => nx.request("POST", `/v1/attachments?conversationId=${conv.id}&name=f.bin`, new Uint8Array(32).fill(2), alice.token,
    { "content-type": "application/octet-stream" });
  const [kept, unsent] = [(await upload()).body, (await upload()).body];
  await alice.must("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("r2s"), text: "", attachments: [kept.id] }, 201);
  expect(await bucket.head(`${conv.id}/${unsent.id}`)).not.toBeNull();
  // Nothing calls the object after this: only its alarm (due 6 s after the upload) can delete.
  let head = await bucket.head(`${conv.id}/${unsent.id}`);
  for (const deadline = Date.now() + 30_000; head !== null && Date.now() < deadline; head = await bucket.head(`${conv.id}/${unsent.id}`)) await Bun.sleep(250);
  expect(head).toBeNull();
  expect(await bucket.head(orphan)).toBeNull();
  expect(await bucket.head(`${conv.id}/${kept.id}`)).not.toBeNull();
  expect((await bob.api("GET", `/v1/conversations/${conv.id}/attachments/${kept.id}`)).status).toBe(200);
  expect((await bob.api("GET", `/v1/conversations/${conv.id}/attachments/${unsent.id}`)).status).toBe(404);
}, 60_000);
