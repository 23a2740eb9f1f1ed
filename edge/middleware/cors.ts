/**
 * CORS for the configured origins only (CORS_ORIGINS). With none configured no CORS headers are sent,
 * so browsers allow same-origin use only. Bearer tokens, not cookies: no credentials mode.
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { EdgeConfig } from "../config.ts";

export function corsAllowlist(config: Pick<EdgeConfig, "corsOrigins">): MiddlewareHandler {
  if (config.corsOrigins.length === 0) return (_c, next) => next();
  const allowed = new Set(config.corsOrigins);
  const handler = cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type"],
    exposeHeaders: ["Retry-After"],
    maxAge: 600,
  });
  // Socket upgrades are ticket-authenticated and their responses may have immutable headers.
  return (c, next) => (c.req.path.startsWith("/v1/ws/") ? next() : handler(c, next));
}
