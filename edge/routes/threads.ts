/**
 * Threads (protocol/threads.ts): read one, follow or unfollow it, mark it read. Replies themselves
 * are sent like any message, with `threadRoot` (POST /v1/conversations/:id/messages or the socket).
 */
import { Hono } from "hono";
import { z } from "zod";
import { ConversationId, Seq, ThreadFollowBody, ThreadQuery, ThreadReadBody } from "../../protocol/index.ts";
import type { Host } from "../host.ts";
import type { AppEnv } from "../middleware/env.ts";
import { validate } from "../middleware/validate.ts";
import { callerOf } from "./callerOf.ts";

const RootParam = z.object({ id: ConversationId, seq: z.coerce.number().pipe(Seq) });

export function threadRoutes(deps: Host): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const conv = (id: string) => deps.actors.conversation(id);

  r.get("/v1/conversations/:id/threads/:seq", validate("param", RootParam), validate("query", ThreadQuery), async (c) => {
    const p = c.req.valid("param");
    const q = c.req.valid("query");
    const page = await conv(p.id).thread(callerOf(c), p.seq, q.after, q.limit);
    if (page.readOnly) c.header("X-Nexus-Read-Only", "1");
    return c.json(page);
  });

  r.put("/v1/conversations/:id/threads/:seq/follow", validate("param", RootParam), validate("json", ThreadFollowBody), async (c) => {
    const p = c.req.valid("param");
    const on = c.req.valid("json").on;
    await conv(p.id).followThread(callerOf(c), p.seq, on);
    return c.json({ following: on });
  });

  r.post("/v1/conversations/:id/threads/:seq/read", validate("param", RootParam), validate("json", ThreadReadBody), async (c) => {
    const p = c.req.valid("param");
    await conv(p.id).readThread(callerOf(c), p.seq, c.req.valid("json").seq);
    return c.json({ ok: true });
  });
  return r;
}
