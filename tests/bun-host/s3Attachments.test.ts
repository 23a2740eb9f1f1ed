/**
 * Attachments in object storage, end to end: a Bun host process started with BLOB_STORE=s3 against
 * s3rver (a real S3-protocol server on a free port). Presigned upload (upload-url → PUT → confirm),
 * presigned download (302 after the membership check), the through-server routes on the same store,
 * message deletion removing the object, the sweep removing unconfirmed uploads; and a disk host
 * answering the new routes without a signer.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually, SUITE_ENV } from "../conformance/harness.ts";
import { newClientId, Nexus, type Session } from "../support/client.ts";
import { startS3, type TestS3 } from "../support/s3Server.ts";
import { startBunHost } from "./target.ts";
import type { Target } from "../conformance/target.ts";

const MAX = 1024; // NEXUS_MAX_ATTACHMENT_BYTES of the hosts below
const PNG = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 1, 2, 3]);

let s3: TestS3;
let host: Target;
let nx: Nexus;
let alice: Session, bob: Session, carol: Session;
let conv: { id: string };

/** The object as the bucket has it (s3rver accepts unsigned requests). */
const objectStatus = async (conversationId: string, attachmentId: string) =>
  (await fetch(`${s3.endpoint}/${s3.bucket}/${conversationId}/${attachmentId}`, { method: "HEAD" })).status;

async function presignedUpload(who: Session, body: { type: string; size: number }, bytes: Uint8Array<ArrayBuffer>) {
  const slot = await who.must("POST", `/v1/conversations/${conv.id}/attachments/upload-url`, body);
  const put = await fetch(slot.url, { method: slot.method, headers: slot.headers, body: bytes });
  expect(put.status).toBe(200);
  return slot as { attachmentId: string; url: string; headers: Record<string, string>; expiresAt: number };
}

beforeAll(async () => {
  s3 = await startS3();
  host = await startBunHost({ ...SUITE_ENV, ...s3.env, NEXUS_MAX_ATTACHMENT_BYTES: String(MAX) });
  nx = new Nexus(host.url);
  [alice, bob, carol] = await Promise.all([nx.register("alice"), nx.register("bob"), nx.register("carol")]);
  conv = await alice.createGroup("files", [bob]);
});
afterAll(async () => {
  await host?.stop();
  await s3?.stop();
});

describe("Bun host with BLOB_STORE=s3", () => {
  test("presigned upload: upload-url, PUT straight to the bucket, confirm records it; a send references it", async () => {
    const slot = await presignedUpload(alice, { type: "Image/PNG", size: PNG.byteLength }, PNG);
    expect(slot.attachmentId).toMatch(/^a_/);
    expect(new URL(slot.url).origin).toBe(s3.endpoint); // the bytes went to the bucket, not the node
    expect(slot.expiresAt).toBeGreaterThan(Date.now());
    expect(await objectStatus(conv.id, slot.attachmentId)).toBe(200);

    const path = `/v1/conversations/${conv.id}/attachments/${slot.attachmentId}/confirm`;
    const a = await alice.must("POST", path, { name: "pic.png" }, 201);
    expect(a).toMatchObject({ id: slot.attachmentId, name: "pic.png", type: "image/png", size: PNG.byteLength, conversationId: conv.id, uploadedBy: alice.id });
    // Confirming again answers the same record.
    expect(await alice.must("POST", path, { name: "pic.png" }, 200)).toEqual(a);

    const sent = await alice.must("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("s3"), text: "", attachments: [a.id] }, 201);
    const row = (await bob.fullHistory(conv.id)).find((e) => e.seq === sent.seq);
    expect(row.attachments).toEqual([{ id: a.id, name: "pic.png", type: "image/png", size: PNG.byteLength }]);
  });

  test("presigned download: members get a 302 to a short-lived URL serving the bytes; others get 403 and no URL", async () => {
    const slot = await presignedUpload(alice, { type: "text/plain", size: 5 }, new TextEncoder().encode("hello"));
    await alice.must("POST", `/v1/conversations/${conv.id}/attachments/${slot.attachmentId}/confirm`, { name: "notes été.txt" }, 201);
    const path = `/v1/conversations/${conv.id}/attachments/${slot.attachmentId}/download`;

    const res = await fetch(new URL(path, host.url), { headers: { authorization: `Bearer ${bob.token}` }, redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    const location = new URL(res.headers.get("location")!);
    expect(location.origin).toBe(s3.endpoint);
    expect(location.searchParams.get("X-Amz-Expires")).toBe("300");
    const bytes = await fetch(location);
    expect(bytes.status).toBe(200);
    expect(await bytes.text()).toBe("hello");
    // Not an inline type: served as a download under its name.
    expect(bytes.headers.get("content-type")).toBe("application/octet-stream");
    expect(bytes.headers.get("content-disposition")).toBe(`attachment; filename*=UTF-8''${encodeURIComponent("notes été.txt")}`);

    const denied = await fetch(new URL(path, host.url), { headers: { authorization: `Bearer ${carol.token}` }, redirect: "manual" });
    expect(denied.status).toBe(403);
    expect(denied.headers.get("location")).toBeNull();
    expect((await fetch(new URL(path, host.url), { redirect: "manual" })).status).toBe(401);
  });

  test("only members get upload URLs or confirm; only the uploader confirms its upload", async () => {
    const asked = await carol.api("POST", `/v1/conversations/${conv.id}/attachments/upload-url`, { type: "text/plain", size: 3 });
    expect(asked.status).toBe(403);

    const slot = await presignedUpload(alice, { type: "text/plain", size: 3 }, new TextEncoder().encode("abc"));
    const confirm = `/v1/conversations/${conv.id}/attachments/${slot.attachmentId}/confirm`;
    expect((await carol.api("POST", confirm, { name: "a.txt" })).status).toBe(403);
    const byBob = await bob.api("POST", confirm, { name: "mine.txt" });
    expect(byBob.status).toBe(403);
    expect(byBob.body.error.code).toBe("forbidden");
    expect(await objectStatus(conv.id, slot.attachmentId)).toBe(200); // not bob's to delete either
    expect((await alice.api("POST", confirm, { name: "a.txt" })).status).toBe(201);
  });

  test("bad requests change nothing; an upload past the limits is refused at confirm and its object deleted", async () => {
    const url = `/v1/conversations/${conv.id}/attachments/upload-url`;
    for (const body of [{ type: "text/plain", size: 0 }, { type: "not a type", size: 3 }, { type: "text/plain", size: 1.5 }, { type: "text/plain" }, { size: 3 }])
      expect((await alice.api("POST", url, body)).status).toBe(400);
    expect((await alice.api("POST", url, { type: "application/octet-stream", size: MAX + 1 })).status).toBe(413);

    const named = await presignedUpload(alice, { type: "text/plain", size: 3 }, new TextEncoder().encode("abc"));
    const namedPath = `/v1/conversations/${conv.id}/attachments/${named.attachmentId}`;
    expect((await alice.api("POST", `${namedPath}/confirm`, { name: "a\u0000b.txt" })).status).toBe(400);
    expect((await alice.api("GET", namedPath)).status).toBe(404); // nothing recorded

    const missing = await alice.api("POST", `/v1/conversations/${conv.id}/attachments/a_neveruploaded0000/confirm`, { name: "x" });
    expect(missing.status).toBe(404);

    // Real S3 refuses a body whose length differs from the signed one; s3rver does not check
    // signatures, so this is the server-side check behind it: the stored size is read at confirm.
    const slot = await alice.must("POST", url, { type: "application/octet-stream", size: 10 });
    expect((await fetch(slot.url, { method: "PUT", headers: slot.headers, body: new Uint8Array(MAX + 1) })).status).toBe(200);
    const confirm = await alice.api("POST", `/v1/conversations/${conv.id}/attachments/${slot.attachmentId}/confirm`, { name: "small.bin" });
    expect(confirm.status).toBe(413);
    expect(await objectStatus(conv.id, slot.attachmentId)).toBe(404);
    expect((await alice.api("GET", `/v1/conversations/${conv.id}/attachments/${slot.attachmentId}`)).status).toBe(404);
  });

  test("the through-server routes work on the same bucket (the web client's path)", async () => {
    const up = await nx.request("POST", `/v1/attachments?conversationId=${conv.id}&name=doc.pdf`, new TextEncoder().encode("%PDF-1.4 x"), bob.token, { "content-type": "application/pdf" });
    expect(up.status).toBe(201);
    expect(await objectStatus(conv.id, up.body.id)).toBe(200);
    const got = await alice.api("GET", `/v1/conversations/${conv.id}/attachments/${up.body.id}`);
    expect(got.status).toBe(200);
    expect(got.text).toBe("%PDF-1.4 x");
    expect((await carol.api("GET", `/v1/conversations/${conv.id}/attachments/${up.body.id}`)).status).toBe(403);
  });

  test("deleting the message deletes its attachment's object from the bucket", async () => {
    const slot = await presignedUpload(alice, { type: "image/png", size: PNG.byteLength }, PNG);
    await alice.must("POST", `/v1/conversations/${conv.id}/attachments/${slot.attachmentId}/confirm`, { name: "gone.png" }, 201);
    const sent = await alice.must("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("del"), text: "soon gone", attachments: [slot.attachmentId] }, 201);
    expect(await objectStatus(conv.id, slot.attachmentId)).toBe(200);
    const del = await alice.api("DELETE", `/v1/conversations/${conv.id}/messages/${sent.seq}`);
    expect(del.status).toBeLessThan(300);
    expect(await eventually(async () => (await objectStatus(conv.id, slot.attachmentId)) === 404, 10_000)).toBe(true);
  });
});

describe("Bun host with BLOB_STORE=s3 and a 1 s reference window", () => {
  let swept: Target;
  beforeAll(async () => {
    swept = await startBunHost({ ...SUITE_ENV, ...s3.env, ATTACHMENT_UNREFERENCED_TTL_SECONDS: "1", ATTACHMENT_SWEEP_INTERVAL_SECONDS: "1" });
  });
  afterAll(() => swept?.stop());

  test("the sweep removes presigned uploads never confirmed (bytes without a row) and unreferenced ones", async () => {
    const sx = new Nexus(swept.url);
    const [s1, s2] = await Promise.all([sx.register("sam"), sx.register("sue")]);
    const c = await s1.createGroup("sweep", [s2]);
    const ask = () => s1.must("POST", `/v1/conversations/${c.id}/attachments/upload-url`, { type: "text/plain", size: 3 });
    const [never, unused] = await Promise.all([ask(), ask()]);
    for (const slot of [never, unused]) expect((await fetch(slot.url, { method: "PUT", headers: slot.headers, body: "abc" })).status).toBe(200);
    await s1.must("POST", `/v1/conversations/${c.id}/attachments/${unused.attachmentId}/confirm`, { name: "unused.txt" }, 201);
    expect(await objectStatus(c.id, never.attachmentId)).toBe(200);
    expect(await objectStatus(c.id, unused.attachmentId)).toBe(200);
    const gone = async () => (await objectStatus(c.id, never.attachmentId)) === 404 && (await objectStatus(c.id, unused.attachmentId)) === 404;
    expect(await eventually(gone, 20_000, 250)).toBe(true);
  });
});

describe("Bun host on disk (the default)", () => {
  let disk: Target;
  beforeAll(async () => {
    disk = await startBunHost({ ...SUITE_ENV });
  });
  afterAll(() => disk?.stop());

  test("no upload URLs (404 naming the through-server route); /download serves the bytes itself", async () => {
    const dx = new Nexus(disk.url);
    const [d1, d2] = await Promise.all([dx.register("dana"), dx.register("dirk")]);
    const c = await d1.createGroup("disk", [d2]);
    const asked = await d1.api("POST", `/v1/conversations/${c.id}/attachments/upload-url`, { type: "text/plain", size: 3 });
    expect(asked.status).toBe(404);
    expect(asked.body.error.message).toContain("POST /v1/attachments");
    const up = await dx.request("POST", `/v1/attachments?conversationId=${c.id}&name=x.txt`, "abc", d1.token, { "content-type": "text/plain" });
    expect(up.status).toBe(201);
    const got = await d2.api("GET", `/v1/conversations/${c.id}/attachments/${up.body.id}/download`);
    expect(got.status).toBe(200);
    expect(got.text).toBe("abc");
  });
});
