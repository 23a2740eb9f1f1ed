/**
 * WebSocket entry points. The socket URL carries a short-lived ticket (POST /v1/ws-ticket), never
 * the access token; the edge verifies it and hands the upgrade to the owning actor's host.
 */
import { Hono } from "hono";
import { z } from "zod";
import { ConversationId, ResumeQuery } from "../../protocol/index.ts";
import type { Host } from "../host.ts";
import type { AppEnv } from "../middleware/env.ts";
import { validate } from "../middleware/validate.ts";

export function socketRoutes(deps: Host): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get("/v1/ws/conversations/:id", validate("param", z.object({ id: ConversationId })), validate("query", ResumeQuery), async (c) => {
    const q = c.req.valid("query");
    const user = await deps.accounts.verifyTicket(q.ticket);
    return deps.sockets.conversation(c, c.req.valid("param").id, user.userId, { after: q.after, epoch: q.epoch }, user.family);
  });
  r.get("/v1/ws/inbox", validate("query", z.object({ ticket: z.string().min(10) })), async (c) => {
    const user = await deps.accounts.verifyTicket(c.req.valid("query").ticket);
    return deps.sockets.inbox(c, user.userId, user.family);
  });
  return r;
}
