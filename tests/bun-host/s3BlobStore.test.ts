/**
 * S3BlobStore against a real S3-protocol server (s3rver on a free port), its SigV4 presigning
 * against AWS's published example, and BLOB_STORE configuration (hosts/bun/blobConfig.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ConfigError } from "../../edge/config.ts";
import { loadBlobConfig, openBlobStore } from "../../hosts/bun/blobConfig.ts";
import { DiskBlobStore } from "../../hosts/bun/diskBlobStore.ts";
import { S3BlobStore } from "../../hosts/bun/s3BlobStore.ts";
import { startS3, type TestS3 } from "../support/s3Server.ts";

let s3: TestS3;
let store: S3BlobStore;

beforeAll(async () => {
  s3 = await startS3();
  store = openBlobStore(loadBlobConfig(s3.env, "/unused")) as S3BlobStore;
});
afterAll(() => s3?.stop());

const text = (s: string) => new TextEncoder().encode(s);
const readAll = async (body: ReadableStream | ArrayBuffer) => new TextDecoder().decode(body instanceof ArrayBuffer ? body : await new Response(body).arrayBuffer());

describe("S3BlobStore on s3rver", () => {
  test("put, get, head and delete through the store", async () => {
    expect(store).toBeInstanceOf(S3BlobStore);
    const key = "c_store/a_putgetdelete1";
    expect(await store.get(key)).toBeNull();
    await store.put(key, text("hello, bucket"), "text/plain");
    const got = await store.get(key);
    expect(got).not.toBeNull();
    expect(got!.size).toBe(13);
    expect(got!.contentType).toBe("text/plain");
    expect(await readAll(got!.body)).toBe("hello, bucket");
    expect(await store.head(key)).toMatchObject({ size: 13, contentType: "text/plain" });
    // The object is in the bucket itself, not only behind the store.
    expect((await fetch(`${s3.endpoint}/${s3.bucket}/${key}`)).status).toBe(200);

    await store.delete(key);
    expect(await store.get(key)).toBeNull();
    expect(await store.head(key)).toBeNull();
    expect((await fetch(`${s3.endpoint}/${s3.bucket}/${key}`)).status).toBe(404);
    await store.delete(key); // deleting what is gone is not an error
  });

  test("keys that could escape their conversation's prefix are refused before any request", async () => {
    for (const key of ["../x", "c/../../x", ".hidden/a", "c/a?x=1", "c/a b"]) await expect(store.put(key, text("x"), "text/plain")).rejects.toThrow(/unsafe blob key/);
  });

  test("a presigned PUT stores the bytes with the signed type and uploader; a presigned GET serves them with the signed headers", async () => {
    const key = "c_store/a_presigned0001";
    const up = await store.uploadUrl(key, { contentType: "image/png", size: 4, uploader: "u_alice", expiresInSeconds: 60 });
    expect(up.headers).toEqual({ "content-type": "image/png", "x-amz-meta-nexus-uploader": "u_alice" });
    const signedHeaders = new URL(up.url).searchParams.get("X-Amz-SignedHeaders")!.split(";");
    expect(signedHeaders).toEqual(["content-length", "content-type", "host", "x-amz-meta-nexus-uploader"]);
    const put = await fetch(up.url, { method: "PUT", headers: up.headers, body: new Uint8Array([137, 80, 78, 71]) });
    expect(put.status).toBe(200);
    expect(await store.head(key)).toEqual({ size: 4, contentType: "image/png", uploader: "u_alice" });

    const url = await store.downloadUrl(key, { contentType: "image/png", disposition: "inline; filename*=UTF-8''a%20b.png", expiresInSeconds: 60 });
    expect(new URL(url).searchParams.get("X-Amz-Expires")).toBe("60");
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("content-disposition")).toBe("inline; filename*=UTF-8''a%20b.png");
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([137, 80, 78, 71]);
  });

  test("entries lists every object with its write time, page after page", async () => {
    const cfg = loadBlobConfig(s3.env, "/unused");
    if (cfg.kind !== "s3") throw new Error("expected the s3 config");
    const paged = new S3BlobStore(cfg.s3, { listPageSize: 2 }); // 5 objects: three list requests
    const keys = ["c_list/a_one000001", "c_list/a_two000002", "c_list2/a_three00003", "c_list2/a_four000004", "c_list3/a_five000005"];
    const before = Date.now() - 1000; // LastModified has whole seconds
    for (const k of keys) await store.put(k, text(k), "text/plain");
    // Not a key the store writes: never listed, so the sweep never touches it.
    expect((await fetch(`${s3.endpoint}/${s3.bucket}/c_list/other/deeper.txt`, { method: "PUT", body: "x" })).status).toBe(200);
    const listed = [];
    for await (const e of paged.entries()) if (e.key.startsWith("c_list")) listed.push(e);
    expect(listed.map((e) => e.key).sort()).toEqual([...keys].sort());
    for (const e of listed) expect(e.mtimeMs).toBeGreaterThanOrEqual(before - 1000);
    for (const e of listed) expect(e.mtimeMs).toBeLessThanOrEqual(Date.now() + 1000);
    for (const k of keys) await store.delete(k);
    const after = [];
    for await (const e of store.entries()) if (e.key.startsWith("c_list")) after.push(e.key);
    expect(after).toEqual([]);
  });

  test("a presigned URL past its expiry is refused by the server", async () => {
    const key = "c_store/a_expired00001";
    await store.put(key, text("old"), "text/plain");
    const url = await store.downloadUrl(key, { contentType: "text/plain", disposition: "attachment", expiresInSeconds: 1 });
    await Bun.sleep(2100);
    expect((await fetch(url)).status).toBe(403);
  });
});

test("presigning matches AWS's published SigV4 example (GET examplebucket/test.txt, 2013-05-24, 86400 s)", async () => {
  // s3rver does not verify signatures, so this is what proves ours would pass real S3.
  const aws = new S3BlobStore(
    {
      endpoint: "https://s3.amazonaws.com",
      bucket: "examplebucket",
      region: "us-east-1",
      accessKeyId: "AKIAIOSFODNN7EXAMPLE",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      pathStyle: false,
    },
    { datetime: () => "20130524T000000Z" },
  );
  const url = new URL(await aws.presign("GET", "test.txt", 86400, {}, {}));
  expect(url.origin + url.pathname).toBe("https://examplebucket.s3.amazonaws.com/test.txt");
  expect(url.searchParams.get("X-Amz-Credential")).toBe("AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request");
  expect(url.searchParams.get("X-Amz-SignedHeaders")).toBe("host");
  expect(url.searchParams.get("X-Amz-Signature")).toBe("aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
});

describe("BLOB_STORE configuration", () => {
  const s3env = { BLOB_STORE: "s3", S3_ENDPOINT: "http://minio:9000", S3_BUCKET: "chat-files", S3_ACCESS_KEY_ID: "k", S3_SECRET_ACCESS_KEY: "s" };

  test("disk is the default; s3 takes its settings from S3_*", () => {
    expect(loadBlobConfig({}, "/data")).toEqual({ kind: "disk", root: "/data/attachments" });
    expect(openBlobStore(loadBlobConfig({ BLOB_STORE: "" }, "/data"))).toBeInstanceOf(DiskBlobStore);
    expect(loadBlobConfig(s3env, "/data")).toEqual({
      kind: "s3",
      s3: { endpoint: "http://minio:9000", publicEndpoint: undefined, bucket: "chat-files", region: "us-east-1", accessKeyId: "k", secretAccessKey: "s", pathStyle: true },
    });
    expect(loadBlobConfig({ ...s3env, S3_PATH_STYLE: "false", S3_REGION: "auto", S3_PUBLIC_ENDPOINT: "https://files.example.com" }, "/d")).toMatchObject({
      s3: { pathStyle: false, region: "auto", publicEndpoint: "https://files.example.com" },
    });
  });

  test("each bad or missing value stops the start with the variable named", () => {
    const fails = (env: Record<string, string>, message: RegExp) => {
      expect(() => loadBlobConfig(env, "/d")).toThrow(ConfigError);
      expect(() => loadBlobConfig(env, "/d")).toThrow(message);
    };
    fails({ BLOB_STORE: "ftp" }, /BLOB_STORE/);
    fails({ BLOB_STORE: "s3" }, /S3_ENDPOINT.*S3_BUCKET.*S3_ACCESS_KEY_ID.*S3_SECRET_ACCESS_KEY/);
    fails({ ...s3env, S3_ENDPOINT: "minio:9000" }, /S3_ENDPOINT/);
    fails({ ...s3env, S3_ENDPOINT: "ftp://minio" }, /S3_ENDPOINT/);
    fails({ ...s3env, S3_BUCKET: "Bad_Bucket" }, /S3_BUCKET/);
    fails({ ...s3env, S3_PATH_STYLE: "maybe" }, /S3_PATH_STYLE/);
    // S3 settings without BLOB_STORE=s3 would silently keep the bytes on one node's disk.
    fails({ S3_BUCKET: "chat-files" }, /S3_BUCKET set but BLOB_STORE is not s3/);
  });
});
