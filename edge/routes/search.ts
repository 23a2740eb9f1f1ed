/**
 * Full-text search over the conversations the caller belongs to: each conversation actor searches
 * its own log (members only), results are merged newest first.
 */
import { Hono } from "hono";
import { SearchQuery, type ConversationEvent } from "../../protocol/index.ts";
import type { Host } from "../host.ts";
import type { AppEnv } from "../middleware/env.ts";
import { validate } from "../middleware/validate.ts";
import { callerOf } from "./callerOf.ts";

/** How many conversations one search visits (most recently active first). */
const MAX_CONVERSATIONS = 200;

export function searchRoutes(deps: Host): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get("/v1/search", validate("query", SearchQuery), async (c) => {
    const q = c.req.valid("query");
    const caller = callerOf(c);
    const ids = q.conversationId
      ? [q.conversationId]
      : (await deps.actors.inbox(caller.userId).list(caller)).slice(0, MAX_CONVERSATIONS).map((s) => s.id);
    const perConversation = await Promise.all(
      ids.map(async (id) => (await deps.actors.conversation(id).search(caller, q.q, q.limit)).map((event) => ({ conversationId: id, event }))),
    );
    const hits = perConversation.flat().sort((a, b) => b.event.ts - a.event.ts).slice(0, q.limit);
    return c.json({ hits } satisfies { hits: Array<{ conversationId: string; event: ConversationEvent }> });
  });
  return r;
}
