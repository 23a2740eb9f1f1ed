/** Counts and times every request, labelled by the matched route pattern (not the raw path). */
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Metrics } from "../host.ts";

export function requestMetrics(metrics: Metrics): MiddlewareHandler {
  return async function requestMetrics(c, next) {
    const start = performance.now();
    try {
      await next();
    } finally {
      // After next(), routeIndex points at the handler that answered; "*" means only middleware ran.
      let route = "unmatched";
      try {
        const p = routePath(c);
        if (p && p !== "*" && p !== "/*") route = p;
      } catch {
        // no match result (request short-circuited before routing)
      }
      metrics.httpRequest(c.req.method, route, c.res.status, (performance.now() - start) / 1000);
    }
  };
}
