/**
 * HS256 tokens for the two baselines, so their connections are authenticated like Nexus's are
 * (a signed token checked once per connection, as a Socket.IO app's auth middleware would).
 */
import { SignJWT } from "jose";

export function newSecret(): string {
  return crypto.getRandomValues(new Uint8Array(24)).reduce((s, b) => s + b.toString(16).padStart(2, "0"), "");
}

export async function signToken(secret: string, userId: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(userId)
    .setExpirationTime("2h")
    .sign(new TextEncoder().encode(secret));
}

/** Tokens for every member of a workload: one per user, shared by that user's sockets. */
export async function memberTokens(secret: string, groups: number, members: number): Promise<string[][]> {
  const out: string[][] = [];
  for (let g = 0; g < groups; g++) {
    const row: string[] = [];
    for (let m = 0; m < members; m++) row.push(await signToken(secret, `u${g}_${m}`));
    out.push(row);
  }
  return out;
}
