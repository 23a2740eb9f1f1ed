/**
 * Sends Web Push messages straight to the subscription's push service (no gateway of ours): the
 * payload is encrypted for the subscription (aes128gcm, RFC 8291) and signed with the server's
 * VAPID key (RFC 8292) by @block65/webcrypto-web-push, which uses only WebCrypto and fetch and so
 * runs unchanged on Bun, in a cluster node and in workerd (the `web-push` package needs Node's
 * crypto and http modules).
 */
import { buildPushPayload } from "@block65/webcrypto-web-push";
import type { PushOutcome, PushSender } from "../../actors/inbox/pushAlerts.ts";
import type { PushPayload, PushSubscriptionBody } from "../../protocol/index.ts";
import type { VapidKeys } from "./vapidKeys.ts";

/** How long a push service keeps an undelivered message (seconds): a day-old alert is noise. */
const TTL_SECONDS = 6 * 3600;
const TIMEOUT_MS = 10_000;

export class WebPushSender implements PushSender {
  readonly publicKey: string;

  // Called through a closure: workerd refuses `fetch` called as a method of another object.
  constructor(private readonly keys: VapidKeys, private readonly subject: string, private readonly fetcher: (url: string, init: RequestInit) => Promise<Response> = (u, i) => fetch(u, i)) {
    this.publicKey = keys.publicKey;
  }

  async send(sub: PushSubscriptionBody, payload: PushPayload): Promise<PushOutcome> {
    const req = await buildPushPayload(
      { data: JSON.stringify(payload), options: { ttl: TTL_SECONDS, urgency: payload.kind === "message" ? "normal" : "high" } },
      { endpoint: sub.endpoint, expirationTime: null, keys: sub.keys },
      { subject: this.subject, publicKey: this.keys.publicKey, privateKey: this.keys.privateKey },
    );
    const res = await this.fetcher(sub.endpoint, { ...req, signal: AbortSignal.timeout(TIMEOUT_MS) });
    await res.body?.cancel().catch(() => {});
    if (res.status === 404 || res.status === 410) return "gone";
    if (res.ok) return "sent";
    console.warn(`[push] ${new URL(sub.endpoint).origin} answered ${res.status}`);
    return "failed";
  }
}
