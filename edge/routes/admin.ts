/** Account administration (role admin): list users with lock state, lock, unlock, deactivate,
 *  reactivate, reset a password, read the audit log; move a conversation's home, or a user's inbox's,
 *  to another region (cluster mode). Every action is appended to the audit log (edge/auth/adminAudit.ts) once done. */
import { Hono, type Context } from "hono";
import { z } from "zod";
import { NexusError } from "../../protocol/errors.ts";
import { ConversationId, UserId } from "../../protocol/events.ts";
import { AuditQuery, LockBody } from "../../protocol/rest.ts";
import type { AdminActionInput } from "../auth/adminAudit.ts";
import type { Host } from "../host.ts";
import { requireAdmin, requireUser } from "../middleware/auth.ts";
import type { AppEnv } from "../middleware/env.ts";
import { validate } from "../middleware/validate.ts";
import { callerOf } from "./callerOf.ts";
import { closeUserSockets } from "./userSockets.ts";

const UserParam = z.object({ id: UserId });
const ConversationParam = z.object({ id: ConversationId });
const MoveBody = z.object({ region: z.string().regex(/^[a-z0-9-]{1,32}$/, "region: 1-32 chars of [a-z0-9-]") }).strict();

export function adminRoutes(deps: Host): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.use("/v1/admin/*", requireUser(deps), requireAdmin);

  /** Recorded after the action succeeded; a failure to record fails the request (the action is idempotent: retry). */
  const record = (c: Context<AppEnv>, a: Omit<AdminActionInput, "admin">) => {
    const { userId, username } = c.get("user");
    return deps.accounts.recordAdminAction({ admin: { userId, username }, ...a });
  };
  // An admin locking or deactivating themselves could leave nobody able to undo it.
  const notSelf = (c: Context<AppEnv>, id: string, what: string) => {
    if (id === c.get("user").userId) throw new NexusError("conflict", `you cannot ${what} your own account`);
  };

  r.get("/v1/admin/users", async (c) => c.json({ users: await deps.accounts.listUsers() }));

  r.post("/v1/admin/users/:id/lock", validate("param", UserParam), validate("json", LockBody), async (c) => {
    const { id } = c.req.valid("param");
    notSelf(c, id, "lock");
    const { minutes } = c.req.valid("json");
    const { until } = await deps.accounts.lock(id, minutes);
    // Sockets opened before the lock must not outlive it: close them wherever they are.
    await closeUserSockets(deps, callerOf(c), id);
    await record(c, { action: "lock", target: id, targetName: (await deps.accounts.getUser(id))?.username, details: { until, ...(minutes ? { minutes } : {}) } });
    return c.body(null, 204);
  });

  r.post("/v1/admin/users/:id/unlock", validate("param", UserParam), async (c) => {
    const { id } = c.req.valid("param");
    await deps.accounts.unlock(id);
    await record(c, { action: "unlock", target: id, targetName: (await deps.accounts.getUser(id))?.username });
    return c.body(null, 204);
  });

  r.post("/v1/admin/users/:id/deactivate", validate("param", UserParam), async (c) => {
    const { id } = c.req.valid("param");
    notSelf(c, id, "deactivate");
    const user = await deps.accounts.deactivate(id);
    await closeUserSockets(deps, callerOf(c), id);
    await record(c, { action: "deactivate", target: id, targetName: user.username });
    return c.body(null, 204);
  });

  r.post("/v1/admin/users/:id/reactivate", validate("param", UserParam), async (c) => {
    const { id } = c.req.valid("param");
    const user = await deps.accounts.reactivate(id);
    await record(c, { action: "reactivate", target: id, targetName: user.username });
    return c.body(null, 204);
  });

  // The temporary password is in this answer only (never stored in plaintext, never in the log).
  r.post("/v1/admin/users/:id/reset-password", validate("param", UserParam), async (c) => {
    const { id } = c.req.valid("param");
    notSelf(c, id, "reset the password of"); // change your own at POST /v1/me/password
    const { username, temporaryPassword, expiresAt } = await deps.accounts.resetPassword(id);
    await closeUserSockets(deps, callerOf(c), id);
    await record(c, { action: "reset_password", target: id, targetName: username, details: { expiresAt } });
    return c.json({ temporaryPassword, expiresAt });
  });

  r.get("/v1/admin/audit", validate("query", AuditQuery), async (c) => {
    const { before, limit } = c.req.valid("query");
    return c.json(await deps.accounts.adminActions(before, limit));
  });

  // Writes pause for the move (clients are told to reconnect and resume there); docs/cluster.md "Moves".
  r.post("/v1/admin/conversations/:id/home", validate("param", ConversationParam), validate("json", MoveBody), async (c) => {
    if (!deps.moveConversation) throw new NexusError("bad_request", "this deployment has no regions to move a conversation between (cluster mode only)");
    const { id } = c.req.valid("param");
    const moved = await deps.moveConversation(id, c.req.valid("json").region);
    await record(c, { action: "move_conversation", target: id, details: { from: moved.from, to: moved.to } });
    return c.json(moved);
  });

  // The inbox's sockets close and reconnect to the new home (docs/cluster.md "Moves").
  r.post("/v1/admin/users/:id/home", validate("param", UserParam), validate("json", MoveBody), async (c) => {
    if (!deps.moveInbox) throw new NexusError("bad_request", "this deployment has no regions to move an inbox between (cluster mode only)");
    const { id } = c.req.valid("param");
    const user = await deps.accounts.getUser(id);
    if (!user) throw new NexusError("not_found", "no such user");
    const moved = await deps.moveInbox(id, c.req.valid("json").region);
    await record(c, { action: "move_inbox", target: id, targetName: user.username, details: { from: moved.from, to: moved.to } });
    return c.json(moved);
  });

  return r;
}
