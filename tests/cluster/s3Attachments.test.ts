/**
 * Cluster mode without a shared folder: two nodes, each with a DATA_DIR of its own, keep attachments
 * in one S3 bucket (s3rver), so what is uploaded through one node is served and deleted through the
 * other, and uploads no message referenced are swept by one node of the region at a time. The same
 * cluster on disk (BLOB_STORE unset) shows why the bucket is needed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually } from "../conformance/harness.ts";
import { newClientId, Nexus } from "../support/client.ts";
import { startS3, type TestS3 } from "../support/s3Server.ts";
import { gauge, startCluster, type LocalCluster } from "./harness.ts";

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(() => s3?.stop());

const objectStatus = async (key: string) => (await fetch(`${s3.endpoint}/${s3.bucket}/${key}`, { method: "HEAD" })).status;

describe("cluster with BLOB_STORE=s3 and no shared folder", () => {
  let cluster: LocalCluster;
  let started = 0;
  beforeAll(async () => {
    started = Date.now();
    // Uploads may wait 7 s for a message (then 7 s of margin; the first test sends within that); each node tries to sweep every second.
    cluster = await startCluster([{ id: "a1", region: "a" }, { id: "a2", region: "a" }],
      { ...s3.env, ATTACHMENT_UNREFERENCED_TTL_SECONDS: "7", ATTACHMENT_SWEEP_INTERVAL_SECONDS: "1" }, { dataDirPerNode: true });
  });
  afterAll(() => cluster?.stop());

  test("uploaded through one node, served and deleted through the other", async () => {
    const n1 = new Nexus(cluster.nodes.a1!.url);
    const n2 = new Nexus(cluster.nodes.a2!.url);
    const alice = await n1.register("alice");
    const bob = await n2.register("bob");
    const conv = await alice.createGroup("files", [bob]);

    // Through the server, on a1; read on a2.
    const up = await n1.request("POST", `/v1/attachments?conversationId=${conv.id}&name=a.txt`, "from a1", alice.token, { "content-type": "text/plain" });
    expect(up.status).toBe(201);
    const got = await bob.api("GET", `/v1/conversations/${conv.id}/attachments/${up.body.id}`);
    expect(got.status).toBe(200);
    expect(got.text).toBe("from a1");

    // Presigned on a2, confirmed and downloaded on a1.
    const slot = await bob.must("POST", `/v1/conversations/${conv.id}/attachments/upload-url`, { type: "text/plain", size: 7 });
    expect((await fetch(slot.url, { method: "PUT", headers: slot.headers, body: "from a2" })).status).toBe(200);
    const viaA1 = new Nexus(cluster.nodes.a1!.url);
    const res = await viaA1.request("POST", `/v1/conversations/${conv.id}/attachments/${slot.attachmentId}/confirm`, { name: "b.txt" }, bob.token);
    expect(res.status).toBe(201);
    const redirect = await fetch(`${cluster.nodes.a1!.url}/v1/conversations/${conv.id}/attachments/${slot.attachmentId}/download`, {
      headers: { authorization: `Bearer ${alice.token}` },
      redirect: "manual",
    });
    expect(redirect.status).toBe(302);
    expect(await (await fetch(redirect.headers.get("location")!)).text()).toBe("from a2");

    // A message deleted through a2 takes its attachment's object with it.
    const sent = await alice.must("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("c"), text: "x", attachments: [up.body.id] }, 201);
    const del = await new Nexus(cluster.nodes.a2!.url).request("DELETE", `/v1/conversations/${conv.id}/messages/${sent.seq}`, undefined, alice.token);
    expect(del.status).toBeLessThan(300);
    expect(await eventually(async () => (await objectStatus(`${conv.id}/${up.body.id}`)) === 404, 10_000)).toBe(true);
  });

  test("uploads no message referenced are swept (row and object), by one node of the region per interval; sent ones stay", async () => {
    const n1 = new Nexus(cluster.nodes.a1!.url);
    const alice = await n1.register("sweeper");
    const conv = await alice.createGroup("sweep", []);
    const upload = async () => (await n1.request("POST", `/v1/attachments?conversationId=${conv.id}&name=s.txt`, "bytes", alice.token, { "content-type": "text/plain" })).body;
    const [kept, unsent] = [await upload(), await upload()];
    await alice.must("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("s"), text: "", attachments: [kept.id] }, 201);
    expect(await objectStatus(`${conv.id}/${unsent.id}`)).toBe(200);
    expect(await eventually(async () => (await objectStatus(`${conv.id}/${unsent.id}`)) === 404, 30_000)).toBe(true);
    expect((await alice.api("GET", `/v1/conversations/${conv.id}/attachments/${unsent.id}`)).status).toBe(404);
    expect(await objectStatus(`${conv.id}/${kept.id}`)).toBe(200);
    expect((await alice.api("GET", `/v1/conversations/${conv.id}/attachments/${kept.id}`)).status).toBe(200);
    // Both nodes' timers fire every second; the region's lease (held 0.9 s) lets one of them run.
    const seconds = (Date.now() - started) / 1000;
    const runs = (await gauge(cluster.nodes.a1!, "nexus_attachment_sweep_runs")) + (await gauge(cluster.nodes.a2!, "nexus_attachment_sweep_runs"));
    console.log(`[test] ${runs} sweeps in ${seconds.toFixed(1)} s by two nodes`);
    expect(runs).toBeGreaterThan(0);
    expect(runs).toBeLessThanOrEqual(Math.ceil(seconds / 0.9) + 1);
  }, 60_000);
});

describe("the same cluster on disk, without a shared folder", () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startCluster([{ id: "d1", region: "a" }, { id: "d2", region: "a" }], {}, { dataDirPerNode: true });
  });
  afterAll(() => cluster?.stop());

  test("an attachment uploaded through one node is missing through the other", async () => {
    const n1 = new Nexus(cluster.nodes.d1!.url);
    const [alice, bob] = await Promise.all([n1.register("alice"), n1.register("bob")]);
    const conv = await alice.createGroup("files", [bob]);
    const up = await n1.request("POST", `/v1/attachments?conversationId=${conv.id}&name=a.txt`, "on d1 only", alice.token, { "content-type": "text/plain" });
    expect(up.status).toBe(201);
    const path = `/v1/conversations/${conv.id}/attachments/${up.body.id}`;
    expect((await n1.request("GET", path, undefined, alice.token)).status).toBe(200);
    expect((await new Nexus(cluster.nodes.d2!.url).request("GET", path, undefined, alice.token)).status).toBe(404);
  });
});
