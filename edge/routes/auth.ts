/** POST /v1/auth/{register,login,refresh,logout} (docs/api.md "Accounts"), rate limited per client IP.
 *  A session that ends (logout, "log out everywhere", refresh-token reuse) takes its open sockets
 *  with it: closed with 4001 wherever they are (./userSockets.ts). */
import { Hono } from "hono";
import { LoginBody, LogoutBody, RefreshBody, RegisterBody } from "../../protocol/rest.ts";
import type { Host } from "../host.ts";
import type { AppEnv } from "../middleware/env.ts";
import { clientIp, ipRateLimit } from "../middleware/rateLimit.ts";
import { validate } from "../middleware/validate.ts";
import { closeUserSockets } from "./userSockets.ts";

export function authRoutes(deps: Host): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const perIp = ipRateLimit(deps, "auth", deps.config.authPerMinute);
  // Sessions end only through refresh (reuse) and logout: those routes register, at their first
  // request, what closes the sockets (not at build time: building the app touches no dependency).
  // The tokens are already refused when this runs; a socket that cannot be reached now is logged
  // (its conversation's actor is unreachable), and the logout still succeeds.
  let listening = false;
  const closeEndedSessions = () => {
    if (listening) return;
    listening = true;
    deps.accounts.whenSessionsEnd((userId, session) =>
      closeUserSockets(deps, { userId }, userId, session ? { session } : {}).catch((e) => console.error(`[auth] sockets of ${userId} not all closed`, e)));
  };

  r.post("/v1/auth/register", perIp, validate("json", RegisterBody), async (c) => {
    const { username, password } = c.req.valid("json");
    return c.json(await deps.accounts.register(username, password, deps.homeOf?.(c.req.raw)), 201);
  });

  r.post("/v1/auth/login", perIp, validate("json", LoginBody), async (c) => {
    const { username, password, newPassword } = c.req.valid("json");
    return c.json(await deps.accounts.login(username, password, clientIp(c, deps.config), newPassword));
  });

  r.post("/v1/auth/refresh", perIp, validate("json", RefreshBody), async (c) => {
    closeEndedSessions();
    return c.json(await deps.accounts.refresh(c.req.valid("json").refreshToken));
  });

  r.post("/v1/auth/logout", perIp, validate("json", LogoutBody), async (c) => {
    const body = c.req.valid("json");
    closeEndedSessions();
    await deps.accounts.logout(body.refreshToken, body.everywhere ?? false);
    return c.body(null, 204);
  });

  return r;
}
