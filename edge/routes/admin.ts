/** Account administration (role admin): list users with lock state, lock, unlock; move a
 *  conversation's home to another region (cluster mode). */
import { Hono } from "hono";
import { z } from "zod";
import { NexusError } from "../../protocol/errors.ts";
import { ConversationId, UserId } from "../../protocol/events.ts";
import { LockBody } from "../../protocol/rest.ts";
import type { Host } from "../host.ts";
import { requireAdmin, requireUser } from "../middleware/auth.ts";
import type { AppEnv } from "../middleware/env.ts";
import { validate } from "../middleware/validate.ts";
import { callerOf } from "./callerOf.ts";

const UserParam = z.object({ id: UserId });
const ConversationParam = z.object({ id: ConversationId });
const MoveBody = z.object({ region: z.string().regex(/^[a-z0-9-]{1,32}$/, "region: 1-32 chars of [a-z0-9-]") }).strict();

export function adminRoutes(deps: Host): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.use("/v1/admin/*", requireUser(deps), requireAdmin);

  r.get("/v1/admin/users", async (c) => c.json({ users: await deps.accounts.listUsers() }));

  r.post("/v1/admin/users/:id/lock", validate("param", UserParam), validate("json", LockBody), async (c) => {
    const { id } = c.req.valid("param");
    // An admin locking themselves out could leave nobody able to unlock.
    if (id === c.get("user").userId) throw new NexusError("conflict", "you cannot lock your own account");
    await deps.accounts.lock(id, c.req.valid("json").minutes);
    // Sockets opened before the lock must not outlive it: close them wherever they are.
    const admin = callerOf(c);
    const conversations = await deps.actors.inbox(id).list({ userId: id });
    await Promise.all([...conversations.map((s) => deps.actors.conversation(s.id).kick(admin, id)), deps.actors.inbox(id).kick(admin)]);
    return c.body(null, 204);
  });

  // Writes pause for the move (clients are told to reconnect and resume there); docs/cluster.md "Moves".
  r.post("/v1/admin/conversations/:id/home", validate("param", ConversationParam), validate("json", MoveBody), async (c) => {
    if (!deps.moveConversation) throw new NexusError("bad_request", "this deployment has no regions to move a conversation between (cluster mode only)");
    return c.json(await deps.moveConversation(c.req.valid("param").id, c.req.valid("json").region));
  });

  r.post("/v1/admin/users/:id/unlock", validate("param", UserParam), async (c) => {
    await deps.accounts.unlock(c.req.valid("param").id);
    return c.body(null, 204);
  });

  return r;
}
