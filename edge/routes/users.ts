/** GET /v1/me, GET /v1/users?q=, GET /v1/users/by-name/:username, POST /v1/ws-ticket. */
import { Hono } from "hono";
import { z } from "zod";
import { NexusError } from "../../protocol/errors.ts";
import { UserSearchQuery, Username } from "../../protocol/rest.ts";
import type { Host } from "../host.ts";
import { requireUser } from "../middleware/auth.ts";
import type { AppEnv } from "../middleware/env.ts";
import { validate } from "../middleware/validate.ts";

export const USER_SEARCH_LIMIT = 20;

export function userRoutes(deps: Host): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const auth = requireUser(deps);

  r.get("/v1/me", auth, async (c) => {
    // With the profile (display name, status, avatar: profiles.ts).
    const me = (await deps.accounts.profiles([c.get("user").userId]))[0];
    if (!me) throw new NexusError("not_found", "your account no longer exists");
    return c.json(me);
  });

  r.get("/v1/users", auth, validate("query", UserSearchQuery), async (c) => {
    return c.json({ users: await deps.accounts.searchUsers(c.req.valid("query").q, USER_SEARCH_LIMIT) });
  });

  r.get("/v1/users/by-name/:username", auth, validate("param", z.object({ username: Username })), async (c) => {
    const user = await deps.accounts.findByUsername(c.req.valid("param").username);
    if (!user) throw new NexusError("not_found", "no such user");
    return c.json(user);
  });

  r.post("/v1/ws-ticket", auth, async (c) => c.json(await deps.accounts.issueTicket(c.get("user"))));

  return r;
}
