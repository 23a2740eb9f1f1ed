/** Account administration (role admin): list users with lock state, lock, unlock. */
import { Hono } from "hono";
import { z } from "zod";
import { NexusError } from "../../protocol/errors.ts";
import { UserId } from "../../protocol/events.ts";
import { LockBody } from "../../protocol/rest.ts";
import type { EdgeDeps } from "../host.ts";
import { requireAdmin, requireUser } from "../middleware/auth.ts";
import type { AppEnv } from "../middleware/env.ts";
import { validate } from "../middleware/validate.ts";
import { callerOf } from "./callerOf.ts";

const UserParam = z.object({ id: UserId });

export function adminRoutes(deps: EdgeDeps): Hono<AppEnv> {
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

  r.post("/v1/admin/users/:id/unlock", validate("param", UserParam), async (c) => {
    await deps.accounts.unlock(c.req.valid("param").id);
    return c.body(null, 204);
  });

  return r;
}
