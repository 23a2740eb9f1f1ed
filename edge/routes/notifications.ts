/**
 * The caller's notification settings (protocol/notify.ts) and Web Push subscriptions, all kept by
 * their inbox actor; docs/api.md "Notifications".
 */
import { Hono } from "hono";
import { z } from "zod";
import { ConversationId, ConversationNotifyBody, DndBody, NexusError, PushSubscriptionBody, PushUnsubscribeBody } from "../../protocol/index.ts";
import type { Host } from "../host.ts";
import type { AppEnv } from "../middleware/env.ts";
import { validate } from "../middleware/validate.ts";
import { callerOf } from "./callerOf.ts";

const IdParam = z.object({ id: ConversationId });

export function notificationRoutes(deps: Host): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const inboxOf = (userId: string) => deps.actors.inbox(userId);

  r.get("/v1/me/notifications", async (c) => {
    const caller = callerOf(c);
    return c.json(await inboxOf(caller.userId).notifySettings(caller));
  });
  r.put("/v1/me/notifications/conversations/:id", validate("param", IdParam), validate("json", ConversationNotifyBody), async (c) => {
    const caller = callerOf(c);
    return c.json(await inboxOf(caller.userId).setConversationNotify(caller, c.req.valid("param").id, c.req.valid("json")));
  });
  r.put("/v1/me/notifications/dnd", validate("json", DndBody), async (c) => {
    const caller = callerOf(c);
    return c.json(await inboxOf(caller.userId).setDnd(caller, c.req.valid("json")));
  });

  r.get("/v1/push/key", (c) => {
    if (!deps.vapidPublicKey) throw new NexusError("not_found", "Web Push is not configured on this server");
    return c.json({ publicKey: deps.vapidPublicKey });
  });
  r.post("/v1/push/subscriptions", validate("json", PushSubscriptionBody), async (c) => {
    const caller = callerOf(c);
    if (!deps.vapidPublicKey) throw new NexusError("not_found", "Web Push is not configured on this server");
    await inboxOf(caller.userId).addPushSubscription(caller, c.req.valid("json"));
    return c.body(null, 204);
  });
  r.get("/v1/push/subscriptions", async (c) => {
    const caller = callerOf(c);
    return c.json({ endpoints: await inboxOf(caller.userId).pushSubscriptions(caller) });
  });
  r.delete("/v1/push/subscriptions", validate("json", PushUnsubscribeBody), async (c) => {
    const caller = callerOf(c);
    await inboxOf(caller.userId).removePushSubscription(caller, c.req.valid("json").endpoint);
    return c.body(null, 204);
  });
  return r;
}

/** Every Web Push subscription of a deleting account removed (DELETE /v1/me): its devices get no
 *  more alerts, for instance of messages still sent in its direct chats. */
export async function dropPushSubscriptions(deps: Host, userId: string): Promise<void> {
  const inbox = deps.actors.inbox(userId);
  const self = { userId };
  for (const endpoint of await inbox.pushSubscriptions(self)) await inbox.removePushSubscription(self, endpoint);
}
