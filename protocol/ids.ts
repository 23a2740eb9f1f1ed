/**
 * Ids and encodings shared by every layer and runtime: base64url, random ids with a kind prefix,
 * and SHA-256. Web Crypto only (Bun, workerd and browsers all have it), so no runtime import.
 */

/** RFC 4648 §5 base64url without padding. */
export function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** `prefix_` + base64url of `bytes` random bytes (u_ user, f_ token family, g_ group, a_ attachment). */
export function randomId(prefix: string, bytes = 12): string {
  return `${prefix}_${base64url(randomBytes(bytes))}`;
}

/** An unprefixed random token: 128 bits unless said otherwise (epochs, call ids, node incarnations). */
export function randomToken(bytes = 16): string {
  return base64url(randomBytes(bytes));
}

export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

export async function sha256Hex(text: string): Promise<string> {
  return Array.from(await sha256(text), (b) => b.toString(16).padStart(2, "0")).join("");
}
