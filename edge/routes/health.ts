/** GET /health (process up), GET /ready (storage reachable, else 503), GET /metrics (Prometheus). */
import { Hono } from "hono";
import type { EdgeDeps } from "../host.ts";
import type { AppEnv } from "../middleware/env.ts";
import { errorBody } from "../middleware/errors.ts";

export function healthRoutes(deps: EdgeDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.get("/health", (c) => c.json({ ok: true }));

  r.get("/ready", async (c) => {
    const ok = await deps.ready().catch((e) => {
      console.error("[edge] readiness check failed:", e);
      return false;
    });
    return ok ? c.json({ ok: true }) : c.json(errorBody("storage_unavailable", "storage is not reachable"), 503);
  });

  r.get("/metrics", async (c) => {
    const { body, contentType } = await deps.metrics.render();
    return c.body(body, 200, { "Content-Type": contentType, "Cache-Control": "no-store" });
  });

  return r;
}
