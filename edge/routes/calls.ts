/**
 * ICE servers for WebRTC calls. TURN credentials follow the TURN REST convention (coturn's
 * `use-auth-secret`): username = "<expiry>:<userId>", credential = base64(HMAC-SHA1(secret, username)),
 * so they expire by themselves and never need storing.
 */
import { Hono } from "hono";
import type { Host } from "../host.ts";
import type { AppEnv } from "../middleware/env.ts";

async function hmacSha1Base64(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)));
  return btoa(String.fromCharCode(...sig));
}

export function callRoutes(deps: Host): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get("/v1/calls/ice", async (c) => {
    const { turnUrls, turnSecret, turnTtlSeconds, iceTransportPolicy } = deps.config;
    const stun = turnUrls.filter((u) => u.startsWith("stun:"));
    const turn = turnUrls.filter((u) => !u.startsWith("stun:"));
    const iceServers: Array<{ urls: string[]; username?: string; credential?: string }> = [];
    if (stun.length) iceServers.push({ urls: stun });
    if (turn.length && turnSecret) {
      const username = `${Math.floor(Date.now() / 1000) + turnTtlSeconds}:${c.get("user").userId}`;
      iceServers.push({ urls: turn, username, credential: await hmacSha1Base64(turnSecret, username) });
    }
    return c.json({ iceServers, ttlSeconds: turnTtlSeconds, iceTransportPolicy });
  });
  return r;
}
