/**
 * The edge HTTP app, identical on Bun and Cloudflare: built only from injected Host.
 *
 * Order matters:
 *  1. request metrics (outermost, so errors and 404s are counted and timed);
 *  2. security headers and CORS allowlist;
 *  3. body caps (JSON vs attachment uploads);
 *  4. auth gate on /v1/*: every route needs a user (requireUser + per-user rate limit) except
 *     /v1/auth/* (per-IP limited in its routes) and /v1/ws/* (sockets carry a ticket instead);
 *  5. route modules, each declaring full paths;
 *  6. one error handler and one 404 shape for everything.
 * Static files of the web client are served by the Bun entry, not here.
 */
import { Hono } from "hono";
import type { Host } from "./host.ts";
import { requireUser } from "./middleware/auth.ts";
import { bodyLimits } from "./middleware/bodyLimits.ts";
import { corsAllowlist } from "./middleware/cors.ts";
import type { AppEnv } from "./middleware/env.ts";
import { errorHandler, notFoundHandler } from "./middleware/errors.ts";
import { userRateLimit } from "./middleware/rateLimit.ts";
import { requestMetrics } from "./middleware/requestMetrics.ts";
import { securityHeaders } from "./middleware/securityHeaders.ts";
import { accountRoutes } from "./routes/account.ts";
import { adminRoutes } from "./routes/admin.ts";
import { attachmentRoutes } from "./routes/attachments.ts";
import { presignedAttachmentRoutes } from "./routes/presignedAttachments.ts";
import { authRoutes } from "./routes/auth.ts";
import { callRoutes } from "./routes/calls.ts";
import { conversationRoutes } from "./routes/conversations.ts";
import { groupProfileRoutes } from "./routes/groupProfile.ts";
import { healthRoutes } from "./routes/health.ts";
import { notificationRoutes } from "./routes/notifications.ts";
import { presenceRoutes } from "./routes/presence.ts";
import { searchRoutes } from "./routes/search.ts";
import { threadRoutes } from "./routes/threads.ts";
import { socketRoutes } from "./routes/sockets.ts";
import { userRoutes } from "./routes/users.ts";
import { profileRoutes } from "./routes/profiles.ts";

/** /v1 paths reachable without an access token. */
export const isPublicV1Path = (path: string) => path.startsWith("/v1/auth/") || path.startsWith("/v1/ws/");

export function createApp(deps: Host): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(errorHandler);
  app.notFound(notFoundHandler);

  app.use("*", requestMetrics(deps.metrics));
  app.use("*", securityHeaders(deps.config));
  app.use("*", corsAllowlist(deps.config));
  app.use("/v1/*", bodyLimits(deps.config));

  const authenticate = requireUser(deps);
  const perUser = userRateLimit(deps);
  app.use("/v1/*", async (c, next) => {
    if (isPublicV1Path(c.req.path)) return next();
    await authenticate(c, async () => {
      await perUser(c, next);
    });
  });

  for (const routes of [
    healthRoutes,
    authRoutes,
    profileRoutes,
    userRoutes,
    accountRoutes,
    adminRoutes,
    conversationRoutes,
    groupProfileRoutes,
    attachmentRoutes,
    presignedAttachmentRoutes,
    callRoutes,
    searchRoutes,
    threadRoutes,
    presenceRoutes,
    notificationRoutes,
    socketRoutes,
  ])
    app.route("/", routes(deps) as Hono<any>);

  return app;
}
