/**
 * A local RFC 8030 push service for tests: HTTPS on 127.0.0.1 with a self-signed certificate (push
 * resources are https; the server under test trusts it through NODE_EXTRA_CA_CERTS). Each delivery
 * is checked as a real push service and the browser would: the VAPID JWT (RFC 8292) must verify
 * with ES256 against the key in `k` and name this origin as `aud`; the body is decrypted (aes128gcm,
 * RFC 8291) with the subscription's private key, which the test made (see `subscription`).
 */
import { createECDH, randomBytes, type ECDH } from "node:crypto";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { importJWK, jwtVerify } from "jose";
// @ts-expect-error http_ece ships no types
import ece from "http_ece";
import { tempDir } from "../../scripts/lib/processes.mjs";

export interface Delivery {
  subscription: string;
  /** The decrypted payload, parsed. */
  payload: any;
  /** The VAPID key the sender signed with (base64url), and the JWT's claims. */
  vapidKey: string;
  claims: Record<string, unknown>;
  headers: Record<string, string>;
}

export interface PushEndpoint {
  origin: string;
  /** PEM file of the certificate: pass as NODE_EXTRA_CA_CERTS to the server under test. */
  caFile: string;
  deliveries: Delivery[];
  /** Requests refused (bad JWT, undecryptable body), with the reason. */
  refused: string[];
  /** A new subscription (what PushManager.subscribe would give a page) and its keys. */
  subscription(): { endpoint: string; keys: { p256dh: string; auth: string } };
  /** Answer this endpoint with `status` from now on (410: the subscription is gone). */
  answer(endpoint: string, status: number): void;
  stop(): void;
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString("base64url");

export function startPushEndpoint(): PushEndpoint {
  const dir = tempDir("nexus-push-");
  const caFile = join(dir, "cert.pem"), keyFile = join(dir, "key.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile,
    "-out", caFile, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
  const subs = new Map<string, { ecdh: ECDH; auth: string; status: number }>();
  const deliveries: Delivery[] = [];
  const refused: string[] = [];
  let origin = "";

  async function receive(req: Request): Promise<Response> {
    const id = new URL(req.url).pathname.split("/").pop()!;
    const sub = subs.get(id);
    if (req.method !== "POST" || !sub) return new Response("no such subscription", { status: 404 });
    try {
      const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(req.headers.get("authorization") ?? "");
      if (!m) throw new Error(`no vapid authorization: ${req.headers.get("authorization")}`);
      const point = Buffer.from(m[2]!, "base64url");
      const key = await importJWK({ kty: "EC", crv: "P-256", x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33, 65)) }, "ES256");
      const { payload: claims } = await jwtVerify(m[1]!, key, { algorithms: ["ES256"], audience: origin });
      if (req.headers.get("content-encoding") !== "aes128gcm") throw new Error("content-encoding is not aes128gcm");
      const body = Buffer.from(await req.arrayBuffer());
      const plain: Buffer = ece.decrypt(body, { version: "aes128gcm", privateKey: sub.ecdh, authSecret: sub.auth });
      if (sub.status >= 300) return new Response("gone", { status: sub.status });
      deliveries.push({ subscription: `${origin}/push/${id}`, payload: JSON.parse(plain.toString("utf8")), vapidKey: m[2]!, claims,
        headers: Object.fromEntries(req.headers) });
      return new Response(null, { status: 201, headers: { location: `${origin}/message/${deliveries.length}` } });
    } catch (e) {
      refused.push(String(e));
      return new Response(String(e), { status: 400 });
    }
  }

  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", tls: { cert: Bun.file(caFile), key: Bun.file(keyFile) }, fetch: receive });
  origin = `https://127.0.0.1:${server.port}`;
  return {
    origin, caFile, deliveries, refused,
    subscription() {
      const ecdh = createECDH("prime256v1");
      ecdh.generateKeys();
      const id = b64url(randomBytes(12));
      const auth = b64url(randomBytes(16));
      subs.set(id, { ecdh, auth, status: 201 });
      return { endpoint: `${origin}/push/${id}`, keys: { p256dh: b64url(ecdh.getPublicKey()), auth } };
    },
    answer(endpoint, status) {
      const s = subs.get(endpoint.split("/").pop()!);
      if (s) s.status = status;
    },
    stop: () => void server.stop(true),
  };
}
