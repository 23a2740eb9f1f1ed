/** REST of docs/api.md "Notifications": the user's notification settings and Web Push subscriptions. */
import { z } from "zod";
import { ConversationNotifyBody, NotifySettings, type DndBody, type PushSubscriptionBody } from "../../../protocol/index.ts";
import type { Http } from "./http.ts";

export class NotifyApi {
  constructor(private readonly http: Http) {}

  async settings() {
    return NotifySettings.parse(await this.http.json("GET", "/v1/me/notifications"));
  }
  async setConversation(id: string, body: z.input<typeof ConversationNotifyBody>) {
    return NotifySettings.parse(await this.http.json("PUT", `/v1/me/notifications/conversations/${id}`, { body }));
  }
  async setDnd(body: DndBody) {
    return NotifySettings.parse(await this.http.json("PUT", "/v1/me/notifications/dnd", { body }));
  }
  /** The server's VAPID public key, or null when it has no Web Push. */
  async pushKey(): Promise<string | null> {
    try {
      return z.object({ publicKey: z.string() }).parse(await this.http.json("GET", "/v1/push/key")).publicKey;
    } catch {
      return null;
    }
  }
  async subscribe(sub: PushSubscriptionBody) {
    await this.http.json("POST", "/v1/push/subscriptions", { body: sub });
  }
  async unsubscribe(endpoint: string) {
    await this.http.json("DELETE", "/v1/push/subscriptions", { body: { endpoint } });
  }
}
