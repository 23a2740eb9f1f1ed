/**
 * GET /health (process up), GET /ready (storage reachable; else degraded, or 503 with ?strict=1), GET /metrics (Prometheus).
 * /metrics tells an outsider how busy the server is, how many actors and sockets it holds, and its
 * route patterns: with METRICS_TOKEN it needs `Authorization: Bearer <token>`; without one only a
 * loopback client that came through no proxy may read it (docs/operations.md).
 */
import { Hono, type Context } from "hono";
import type { Host } from "../host.ts";
import type { AppEnv } from "../middleware/env.ts";
import { errorBody } from "../middleware/errors.ts";
import { clientIp } from "../middleware/rateLimit.ts";
import type { EdgeConfig } from "../config.ts";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
/** Headers a reverse proxy adds: a request carrying one may come from anywhere through it. */
const PROXIED = ["x-forwarded-for", "forwarded", "x-real-ip", "cf-connecting-ip"];

/** Length-independent comparison, so timing does not tell how much of a guess was right. */
function sameSecret(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < y.length; i++) diff |= (x[i % Math.max(1, x.length)] ?? 0) ^ y[i]!;
  return diff === 0;
}

export function mayReadMetrics(c: Context, config: Pick<EdgeConfig, "metricsToken" | "trustedIpHeader">): boolean {
  if (config.metricsToken) {
    const m = /^Bearer (.+)$/.exec(c.req.header("authorization") ?? "");
    return !!m && sameSecret(m[1]!, config.metricsToken);
  }
  if (PROXIED.some((h) => c.req.header(h) !== undefined) && !config.trustedIpHeader) return false;
  return LOOPBACK.test(clientIp(c, config));
}

export function healthRoutes(deps: Host): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.get("/health", (c) => c.json({ ok: true }));

  r.get("/ready", async (c) => {
    const ok = await deps.ready().catch((e) => {
      console.error("[edge] readiness check failed:", e);
      return false;
    });
    if (ok) return c.json({ ok: true });
    // Degraded, not down (issue #16): with storage unreachable a node still serves sign-ins already
    // made, sockets, resumes and history (read-only), and every node of a region shares its storage,
    // so taking them out of the load balancer would turn read-only into down. `?strict=1` is for a
    // probe that wants the old answer (docs/operations.md).
    if (c.req.query("strict") !== undefined) return c.json(errorBody("storage_unavailable", "storage is not reachable"), 503);
    return c.json({ ok: true, degraded: true, storage: "unreachable" });
  });

  r.get("/metrics", async (c) => {
    if (!mayReadMetrics(c, deps.config))
      return deps.config.metricsToken
        ? c.json(errorBody("unauthorized", "metrics need Authorization: Bearer <METRICS_TOKEN>"), 401)
        : c.json(errorBody("forbidden", "metrics are served to loopback clients only unless METRICS_TOKEN is set"), 403);
    const { body, contentType } = await deps.metrics.render();
    return c.body(body, 200, { "Content-Type": contentType, "Cache-Control": "no-store" });
  });

  return r;
}
