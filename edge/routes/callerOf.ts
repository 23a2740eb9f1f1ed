/** The actor Caller for the authenticated user of a request. */
import type { Context } from "hono";
import type { Caller } from "../../actors/driver.ts";
import type { AppEnv } from "../middleware/env.ts";

export function callerOf(c: Context<AppEnv>): Caller {
  const u = c.get("user");
  return { userId: u.userId, admin: u.role === "admin" };
}

/** URL-safe random id with a kind prefix (g_ group, a_ attachment). */
export function randomId(prefix: string, bytes = 12): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  let s = btoa(String.fromCharCode(...raw)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `${prefix}_${s}`;
}

async function hashedId(prefix: string, text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  const s = btoa(String.fromCharCode(...digest.subarray(0, 16))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `${prefix}_${s}`;
}

/** One direct conversation per pair: the id is derived from the two user ids. */
export function directId(a: string, b: string): Promise<string> {
  const [x, y] = a < b ? [a, b] : [b, a];
  return hashedId("d", `${x}\u0000${y}`);
}

/** A group created with a clientId gets the same id on every retry of that creation. */
export function groupIdFor(creator: string, clientId: string): Promise<string> {
  return hashedId("g", `${creator}\u0000${clientId}`);
}
