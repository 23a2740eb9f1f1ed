/**
 * Conversation ids the edge derives rather than draws, so retries and both sides of a direct chat
 * land on the same actor.
 */
import { base64url, sha256 } from "../../protocol/ids.ts";

async function hashedId(prefix: string, text: string): Promise<string> {
  return `${prefix}_${base64url((await sha256(text)).subarray(0, 16))}`;
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
