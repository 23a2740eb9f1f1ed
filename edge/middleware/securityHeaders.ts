/**
 * Security headers on every response. The CSP lets the SolidJS client load from this origin, talk
 * to the API and its own sockets, and show images/media from blob:/data: URLs (attachments are
 * fetched with the bearer token and shown as object URLs). Inline styles are allowed because
 * Solid's `style` bindings set style attributes; scripts are same-origin only.
 *
 * connect-src is 'self' (CSP 3: it also matches ws:/wss: to this host, so the client's sockets
 * connect) plus the configured CORS origins and their socket schemes: a script injected into the
 * page cannot open a socket or fetch to any other host.
 */
import type { MiddlewareHandler } from "hono";
import type { EdgeConfig } from "../config.ts";

export function contentSecurityPolicy(config: Pick<EdgeConfig, "corsOrigins">): string {
  const extra = config.corsOrigins.flatMap((o) => [o, o.replace(/^http/, "ws")]);
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "media-src 'self' blob:",
    "font-src 'self' data:",
    ["connect-src 'self'", ...extra].join(" "),
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Headers every page and API response gets (the Bun host's static files set the same ones). */
export function baseSecurityHeaders(config: Pick<EdgeConfig, "corsOrigins">): Record<string, string> {
  return {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": contentSecurityPolicy(config),
    // A window this page opens (or that opens it) gets no handle on it: no cross-window tampering.
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(self), geolocation=()",
  };
}

export function securityHeaders(config: Pick<EdgeConfig, "hsts" | "corsOrigins">): MiddlewareHandler {
  const base = baseSecurityHeaders(config);
  return async function securityHeaders(c, next) {
    await next();
    // WebSocket upgrades (101) may carry immutable headers from the actor host; leave them be.
    if (c.res.status === 101) return;
    const h = c.res.headers;
    try {
      // A route that set its own CSP keeps it: attachment downloads are `sandbox; default-src
      // 'none'`, stricter than the app's, and must not be widened to it.
      for (const [name, value] of Object.entries(base)) if (name !== "Content-Security-Policy" || !h.has(name)) h.set(name, value);
      if (config.hsts || new URL(c.req.url).protocol === "https:")
        h.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    } catch {
      // Immutable headers (a response proxied from elsewhere): nothing safe to add.
    }
  };
}
