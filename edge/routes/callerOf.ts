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

/** One direct conversation per pair: the id is derived from the two user ids. */
export async function directId(a: string, b: string): Promise<string> {
  const [x, y] = a < b ? [a, b] : [b, a];
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${x}\u0000${y}`)));
  const s = btoa(String.fromCharCode(...digest.subarray(0, 16))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `d_${s}`;
}
