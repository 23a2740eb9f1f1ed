/**
 * Rate limits through deps.limiter (memory on one node, Redis in a cluster). Refusals are
 * 429 `rate_limited` with Retry-After (time for one token at the configured rate).
 */
import type { Context, MiddlewareHandler } from "hono";
import { NexusError } from "../../protocol/errors.ts";
import type { EdgeConfig } from "../config.ts";
import type { Host } from "../host.ts";
import type { AppEnv } from "./env.ts";

export function rateLimit<E extends AppEnv>(
  limiter: Host["limiter"],
  perMinute: number,
  key: (c: Context<E>) => string,
): MiddlewareHandler<E> {
  return async function rateLimit(c, next) {
    if (!(await limiter.take(key(c), perMinute)))
      throw new NexusError("rate_limited", "too many requests, slow down", { retryAfter: Math.max(1, Math.ceil(60 / perMinute)) });
    await next();
  };
}

/** Per-user REST limit; must run after requireUser. */
export function userRateLimit(deps: Pick<Host, "limiter" | "config">): MiddlewareHandler<AppEnv> {
  return rateLimit(deps.limiter, deps.config.restPerMinute, (c) => `rest:u:${c.get("user").userId}`);
}

/** Per-client-IP limit under a named bucket (e.g. "auth"). */
export function ipRateLimit(deps: Pick<Host, "limiter" | "config">, bucket: string, perMinute: number): MiddlewareHandler<AppEnv> {
  return rateLimit(deps.limiter, perMinute, (c) => `${bucket}:ip:${clientIp(c, deps.config)}`);
}

/**
 * The caller's IP. Headers are only trusted when configured (TRUSTED_IP_HEADER) or on Cloudflare
 * (requests carry `cf`, and Cloudflare sets cf-connecting-ip itself). On Bun the socket address
 * comes from the Bun server passed in Hono's env.
 */
export function clientIp(c: Context, config: Pick<EdgeConfig, "trustedIpHeader">): string {
  if (config.trustedIpHeader) {
    const v = c.req.header(config.trustedIpHeader);
    // x-forwarded-for: the right-most entry is the one our proxy appended.
    const ip = v?.split(",").at(-1)?.trim();
    if (ip) return ip;
  }
  if ((c.req.raw as { cf?: unknown }).cf) {
    const ip = c.req.header("cf-connecting-ip");
    if (ip) return ip;
  }
  // Bun: the server is Hono's env itself (`app.fetch(req, server)`) or its `server` field
  // (`app.fetch(req, { server })`, as hono/bun's getConnInfo expects).
  const env = c.env as { requestIP?: unknown; server?: { requestIP?: unknown } } | undefined;
  const server = typeof env?.requestIP === "function" ? env : env?.server;
  if (server && typeof server.requestIP === "function") {
    try {
      const addr = (server.requestIP as (r: Request) => { address: string } | null)(c.req.raw)?.address;
      if (addr) return addr;
    } catch {
      // not a Bun server after all
    }
  }
  return "unknown";
}
