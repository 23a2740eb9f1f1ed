/**
 * The server's VAPID key pair (RFC 8292): browsers subscribe with its public key, and every push is
 * signed with its private key, so it must outlive restarts and be the same on every node (a new key
 * would orphan every subscription). Made with WebCrypto at first start and kept in the accounts
 * database (one row; the first node to insert it wins, the others read it back); configured keys
 * (VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY, Cloudflare secrets) take precedence.
 */
import type { Sql } from "../../actors/storage/sql.ts";

export interface VapidKeys {
  /** base64url of the uncompressed P-256 point (65 bytes, 0x04 || x || y). */
  publicKey: string;
  /** base64url of the private scalar d (32 bytes): the JWK `d`. */
  privateKey: string;
}

const b64urlToBytes = (s: string) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4)), (c) => c.charCodeAt(0));
const bytesToB64url = (b: Uint8Array) => btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

export async function generateVapidKeys(): Promise<VapidKeys> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const jwk = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
  const point = new Uint8Array(65);
  point[0] = 4;
  point.set(b64urlToBytes(jwk.x!), 1);
  point.set(b64urlToBytes(jwk.y!), 33);
  return { publicKey: bytesToB64url(point), privateKey: jwk.d! };
}

export const vapidSchema = [`CREATE TABLE IF NOT EXISTS vapid_keys (id INTEGER PRIMARY KEY CHECK (id = 1), public_key TEXT NOT NULL, private_key TEXT NOT NULL)`];

/** The configured pair, else the stored one, else a new one stored now. The stored one is read
 *  first: every start after the first is one read (in a cluster the accounts' home may be a WAN away,
 *  and an insert there also syncs this node's accounts replica before the start goes on). */
export async function ensureVapidKeys(sql: Sql, configured: { publicKey?: string; privateKey?: string }): Promise<VapidKeys> {
  if (configured.publicKey && configured.privateKey) return { publicKey: configured.publicKey, privateKey: configured.privateKey };
  const stored = await sql.first<{ public_key: string; private_key: string }>("SELECT public_key, private_key FROM vapid_keys WHERE id = 1")
    .catch((e) => {
      if (/no such table/i.test(String((e as Error)?.message ?? e))) return undefined; // the first start
      throw e;
    });
  if (stored) return { publicKey: stored.public_key, privateKey: stored.private_key };
  await sql.migrate(vapidSchema);
  const fresh = await generateVapidKeys();
  await sql.run("INSERT INTO vapid_keys (id, public_key, private_key) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING", [fresh.publicKey, fresh.privateKey]);
  const row = await sql.first<{ public_key: string; private_key: string }>("SELECT public_key, private_key FROM vapid_keys WHERE id = 1");
  if (!row) throw new Error("vapid_keys: the stored key pair vanished");
  return { publicKey: row.public_key, privateKey: row.private_key };
}
