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

  // The user's inbox is homed where they come in (Host.claimInboxHome), not where someone else
  // first touches it. At sign-up the claim is made right after the account is written and before
  // the answer: only a chat made with the new username within that moment could place the inbox
  // first (the placement store keeps one home either way). At login (users whose inbox has no home yet, e.g.
  // signed up before this) it runs beside the answer: the user's own inbox socket, opened next,
  // homes it through the same node anyway. A failed claim costs only that: logged, and the inbox
  // is homed where it is first touched, as without the hook.
  const claimInboxHome = (userId: string) =>
    deps.claimInboxHome?.(userId).catch((e) =>
      console.warn(`[auth] inbox of ${userId} not homed here (it will be where it is first touched): ${(e as Error)?.message ?? e}`));

  r.post("/v1/auth/register", perIp, validate("json", RegisterBody), async (c) => {
    const { username, password } = c.req.valid("json");
    const signedUp = await deps.accounts.register(username, password, deps.homeOf?.(c.req.raw));
    await claimInboxHome(signedUp.user.id);
    return c.json(signedUp, 201);
  });

  r.post("/v1/auth/login", perIp, validate("json", LoginBody), async (c) => {
    const { username, password, newPassword } = c.req.valid("json");
    const signedIn = await deps.accounts.login(username, password, clientIp(c, deps.config), newPassword);
    void claimInboxHome(signedIn.user.id);
    return c.json(signedIn);
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
