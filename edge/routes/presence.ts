/** GET /v1/presence?userIds=a,b — presence and last seen, only of people the caller shares a conversation with. */
import { Hono } from "hono";
import { PresenceQuery } from "../../protocol/index.ts";
import type { EdgeDeps } from "../host.ts";
import type { AppEnv } from "../middleware/env.ts";
import { validate } from "../middleware/validate.ts";
import { callerOf } from "./callerOf.ts";

export function presenceRoutes(deps: EdgeDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get("/v1/presence", validate("query", PresenceQuery), async (c) => {
    const caller = callerOf(c);
    const contacts = new Set<string>([caller.userId]);
    for (const s of await deps.actors.inbox(caller.userId).list(caller)) for (const m of s.members) contacts.add(m.userId);
    const wanted = c.req.valid("query").userIds.filter((u) => contacts.has(u));
    return c.json({ presence: await Promise.all(wanted.map((u) => deps.actors.inbox(u).presence())) });
  });
  return r;
}
