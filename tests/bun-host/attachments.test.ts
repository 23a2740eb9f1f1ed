/**
 * Attachment bytes on the Bun host (disk): a deleted message's bytes leave the disk (whoever deletes
 * it: author, group admin, account admin); uploads are charged to an hourly per-user quota (429 +
 * Retry-After); the sweep deletes uploads no message references and bytes without a row, and an
 * upload past the reference window can no longer be sent.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { loadNodeConfig } from "../../hosts/bun/config.ts";
import { startNode, type NexusNode } from "../../hosts/bun/startNode.ts";
import { AttachmentSweep } from "../../actors/storage/attachmentSweep.ts";
import { DiskBlobStore } from "../../hosts/bun/diskBlobStore.ts";
import { openLibsql } from "../../hosts/bun/storage/libsqlSql.ts";
import { tempDir } from "../../scripts/lib/processes.mjs";
import { Nexus, newClientId, type Session } from "../support/client.ts";
import { TINY_PNG } from "../support/images.ts";

const QUOTA = 5000;
let node: NexusNode;
let dataDir: string;
let nx: Nexus;
let root: Session;

beforeAll(async () => {
  dataDir = tempDir("nexus-attachments-");
  node = await startNode(
    loadNodeConfig({ PORT: "0", DATA_DIR: dataDir, UPLOAD_BYTES_PER_HOUR: String(QUOTA), ATTACHMENT_UNREFERENCED_TTL_SECONDS: "2",
      AUTH_RATE_LIMIT_PER_MINUTE: "100000", RATE_LIMIT_PER_MINUTE: "100000" }),
    { webRoot: tempDir("nexus-attachments-web-") },
  );
  nx = new Nexus(node.url);
  root = await nx.register("root"); // first account: account admin
}, 60_000);

afterAll(async () => {
  await nx?.closeAll();
  await node?.stop();
});

const blobPath = (convId: string, id: string) => join(dataDir, "attachments", "blobs", convId, id);

async function upload(s: Session, convId: string, size = 100): Promise<{ status: number; body: any; headers?: Headers }> {
  const res = await fetch(new URL(`/v1/attachments?conversationId=${convId}&name=f.bin`, node.url), {
    method: "POST", body: new Uint8Array(size).fill(7), headers: { authorization: `Bearer ${s.token}`, "content-type": "application/octet-stream" } });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

async function gone(path: string, timeoutMs = 5000): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await Bun.sleep(50)) if (!existsSync(path)) return true;
  return !existsSync(path);
}

describe("deleting a message deletes its attachment bytes", () => {
  for (const who of ["author", "group admin", "account admin"] as const)
    test(`deleted by the ${who}`, async () => {
      const [alice, bob] = [await nx.register("del-a"), await nx.register("del-b")];
      const conv = await alice.createGroup("files", [bob]); // alice: group admin
      const up = await upload(bob, conv.id);
      expect(up.status).toBe(201);
      expect(existsSync(blobPath(conv.id, up.body.id))).toBe(true);
      const sent = await bob.must("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("att"), text: "", attachments: [up.body.id] }, 201);
      const deleter = who === "author" ? bob : who === "group admin" ? alice : root;
      if (who === "group admin") {
        // Over the socket, the way the web client deletes.
        const { sock } = await alice.join(conv.id);
        const clientId = newClientId("del");
        sock.send({ t: "delete", clientId, target: sent.seq });
        expect((await sock.replyTo(clientId)).t).toBe("ack");
      } else await deleter.must("DELETE", `/v1/conversations/${conv.id}/messages/${sent.seq}`);
      expect((await bob.api("GET", `/v1/conversations/${conv.id}/attachments/${up.body.id}`)).status).toBe(404);
      expect(await gone(blobPath(conv.id, up.body.id))).toBe(true);
      expect(await gone(join(dataDir, "attachments", "meta", conv.id, `${up.body.id}.json`))).toBe(true);
    });
});

test("uploads past the hourly quota get 429 with Retry-After and store nothing", async () => {
  const [alice, bob] = [await nx.register("quota-a"), await nx.register("quota-b")];
  const conv = await alice.createGroup("quota", [bob]);
  expect((await upload(alice, conv.id, QUOTA - 1000)).status).toBe(201);
  const over = await upload(alice, conv.id, 2000);
  expect(over.status).toBe(429);
  expect(over.body.error.code).toBe("rate_limited");
  expect(Number(over.headers!.get("retry-after"))).toBeGreaterThan(0);
  expect(readdirSync(join(dataDir, "attachments", "blobs", conv.id)).length).toBe(1);
  // The quota is per user: bob still has his.
  expect((await upload(bob, conv.id, 2000)).status).toBe(201);
});

test("the sweep deletes unreferenced uploads and orphaned bytes, keeps sent ones and pictures; an expired upload cannot be sent", async () => {
  const [alice, bob] = [await nx.register("sweep-a"), await nx.register("sweep-b")];
  const conv = await alice.createGroup("sweep", [bob]);
  const kept = (await upload(alice, conv.id)).body;
  await alice.must("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("kept"), text: "", attachments: [kept.id] }, 201);
  const unsent = (await upload(alice, conv.id)).body;
  const blobs = new DiskBlobStore(join(dataDir, "attachments"));
  await blobs.put(`${conv.id}/a_orphan0123456789`, new Uint8Array([1]), "text/plain"); // bytes without a row
  // Pictures are not uploads: the sweep leaves a group's picture (and avatars) alone however old.
  const picture = await alice.nexus.request("PUT", `/v1/conversations/${conv.id}/picture`, TINY_PNG, alice.token, { "content-type": "image/png" });
  expect(picture.status).toBe(200);
  // Past the reference window (2 s here) an upload is as if unknown to a send.
  await Bun.sleep(2200);
  const late = await alice.api("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("late"), text: "", attachments: [unsent.id] });
  expect(late.status).toBe(400);
  expect(late.body.error.message).toMatch(/unknown attachment/);

  const sql = await openLibsql(join(dataDir, "nexus.db"));
  try {
    // Not yet past window + margin: nothing is taken.
    const early = new AttachmentSweep(sql, blobs, { ttlMs: 2000, marginMs: 60_000 });
    expect(await early.run()).toEqual({ uploads: 0, orphans: 0 });
    const sweep = new AttachmentSweep(sql, blobs, { ttlMs: 2000, now: () => Date.now() + 120_000 });
    const r = await sweep.run();
    expect(r.uploads).toBeGreaterThanOrEqual(1);
    expect(r.orphans).toBeGreaterThanOrEqual(1);
  } finally {
    await sql.close();
  }
  expect(existsSync(blobPath(conv.id, unsent.id))).toBe(false);
  expect(existsSync(blobPath(conv.id, "a_orphan0123456789"))).toBe(false);
  expect((await alice.api("GET", `/v1/conversations/${conv.id}/attachments/${unsent.id}`)).status).toBe(404);
  expect(existsSync(blobPath(conv.id, kept.id))).toBe(true);
  expect((await alice.api("GET", `/v1/conversations/${conv.id}/attachments/${kept.id}`)).status).toBe(200);
  expect((await bob.api("GET", `/v1/conversations/${conv.id}/picture?size=64&v=${picture.body.picture}`)).status).toBe(200);
});
