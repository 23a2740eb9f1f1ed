/**
 * The signed-in user's own account (issue #20; docs/api.md "Your account"):
 *  POST /v1/me/password — change the password: every session ends, this one gets a fresh one back;
 *  DELETE /v1/me — delete the account (password re-entered): its groups are left, its profile (avatar
 *  bytes too) and push subscriptions erased, its sessions end.
 */
import { Hono } from "hono";
import { isNexusError, NexusError } from "../../protocol/errors.ts";
import { ChangePasswordBody, DeleteAccountBody } from "../../protocol/rest.ts";
import type { Host } from "../host.ts";
import { requireUser } from "../middleware/auth.ts";
import type { AppEnv } from "../middleware/env.ts";
import { clientIp } from "../middleware/rateLimit.ts";
import { validate } from "../middleware/validate.ts";
import { closeUserSockets } from "./userSockets.ts";
import { dropPushSubscriptions } from "./notifications.ts";
import { announceProfile, eraseProfile } from "./profiles.ts";

export function accountRoutes(deps: Host): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const auth = requireUser(deps);

  r.post("/v1/me/password", auth, validate("json", ChangePasswordBody), async (c) => {
    const me = c.get("user");
    const { currentPassword, newPassword } = c.req.valid("json");
    const session = await deps.accounts.changePassword(me.userId, currentPassword, newPassword, clientIp(c, deps.config));
    // Other devices' sockets close now; this client reconnects with the session it gets back.
    await closeUserSockets(deps, { userId: me.userId }, me.userId);
    return c.json(session);
  });

  /**
   * Idempotent and safe to race: the first step is an idempotent batch, leaving a group twice is
   * ignored, and until the last step a retry with the same access token resumes where a failed
   * attempt stopped (without the password: it is no longer stored). After it: 401, the account is gone.
   */
  r.delete("/v1/me", auth, validate("json", DeleteAccountBody), async (c) => {
    const me = c.get("user");
    if (me.role === "admin") {
      // Someone must remain able to administer (there is no route that makes an admin).
      const users = await deps.accounts.listUsers();
      const others = users.some((u) => u.role === "admin" && u.state === "active" && u.id !== me.userId);
      if (!others && users.find((u) => u.id === me.userId)?.state !== "deleted")
        throw new NexusError("conflict", "you are the only admin: an admin account cannot be deleted while it is the last one", { reason: "last_admin" });
    }
    await deps.accounts.beginDeletion(me.userId, c.req.valid("json").password, clientIp(c, deps.config));
    const self = { userId: me.userId };
    // Before leaving the groups, while their members are still this user's contacts: every screen
    // showing the account re-reads it and says "Deleted user".
    await announceProfile(deps, me.userId);
    const conversations = await deps.actors.inbox(me.userId).list(self);
    // Groups are left (a "left" line, like leaving by hand); direct chats stay readable by the other side.
    await Promise.all(
      conversations
        .filter((s) => s.type === "group")
        .map((s) =>
          deps.actors
            .conversation(s.id)
            .removeMember(self, me.userId)
            .catch((e) => {
              if (!isNexusError(e) || (e.code !== "not_member" && e.code !== "not_found")) throw e; // left by a concurrent attempt
            }),
        ),
    );
    // Nothing of the person stays that is not part of others' conversations (docs/api.md).
    await eraseProfile(deps, me.userId);
    await dropPushSubscriptions(deps, me.userId);
    await closeUserSockets(deps, self, me.userId);
    await deps.accounts.finishDeletion(me.userId);
    return c.body(null, 204);
  });

  return r;
}
