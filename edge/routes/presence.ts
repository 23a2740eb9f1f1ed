/**
 * GET /v1/presence?userIds=a,b — presence and last seen, only of people who took part in a
 * conversation the caller is in (actors/inbox/contacts.ts); others are left out of the answer.
 */
import { Hono } from "hono";
import { PresenceQuery } from "../../protocol/index.ts";
import type { Host } from "../host.ts";
import type { AppEnv } from "../middleware/env.ts";
import { validate } from "../middleware/validate.ts";
import { callerOf } from "./callerOf.ts";
import { visibleTo } from "../../actors/inbox/contacts.ts";

export function presenceRoutes(deps: Host): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get("/v1/presence", validate("query", PresenceQuery), async (c) => {
    const caller = callerOf(c);
    const contacts = new Set<string>([caller.userId, ...visibleTo(caller.userId, await deps.actors.inbox(caller.userId).list(caller), Infinity)]);
    const wanted = c.req.valid("query").userIds.filter((u) => contacts.has(u));
    return c.json({ presence: await Promise.all(wanted.map((u) => deps.actors.inbox(u).presence())) });
  });
  return r;
}
