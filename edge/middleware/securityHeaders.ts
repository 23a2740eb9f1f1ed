/**
 * Security headers on every response. The CSP lets the SolidJS client load from this origin, talk
 * to the API and sockets (ws:/wss:), and show images/media from blob:/data: URLs (attachments are
 * fetched with the bearer token and shown as object URLs). Inline styles are allowed because
 * Solid's `style` bindings set style attributes; scripts are same-origin only.
 */
import type { MiddlewareHandler } from "hono";
import type { EdgeConfig } from "../config.ts";

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "font-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export function securityHeaders(config: Pick<EdgeConfig, "hsts">): MiddlewareHandler {
  return async function securityHeaders(c, next) {
    await next();
    // WebSocket upgrades (101) may carry immutable headers from the actor host; leave them be.
    if (c.res.status === 101) return;
    const h = c.res.headers;
    try {
      h.set("X-Content-Type-Options", "nosniff");
      h.set("X-Frame-Options", "DENY");
      h.set("Referrer-Policy", "no-referrer");
      h.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
      h.set("Cross-Origin-Opener-Policy", "same-origin");
      h.set("Permissions-Policy", "camera=(self), microphone=(self), geolocation=()");
      if (config.hsts || new URL(c.req.url).protocol === "https:")
        h.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    } catch {
      // Immutable headers (a response proxied from elsewhere): nothing safe to add.
    }
  };
}
