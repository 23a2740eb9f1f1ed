/**
 * Web Push from an inbox: when a conversation's new summary shows a message from someone else and
 * the user has no inbox socket open (no device is looking), the inbox asks the host's PushSender to
 * deliver an encrypted push to each of the user's subscriptions, if protocol/notify.ts says this
 * message may alert. The sender is a port (the host makes it with its VAPID keys; edge/push/), so the
 * actor stays runtime-free.
 */
import { newMessageKind, shouldAlert, type AlertKind, type ConversationSummary, type NotifySettings, type PushPayload, type PushSubscriptionBody } from "../../protocol/index.ts";

export type PushOutcome = "sent" | "gone" | "failed";

export interface PushSender {
  /** The public VAPID key (base64url, uncompressed P-256 point) browsers subscribe with. */
  readonly publicKey: string;
  /** Encrypt (RFC 8291) and post with a VAPID JWT (RFC 8292); "gone" when the push service answered
   *  404 or 410 (RFC 8030 §7.3: the subscription is dead and is removed). */
  send(sub: PushSubscriptionBody, payload: PushPayload): Promise<PushOutcome>;
}

const MAX_BODY = 180;

/** The payload the service worker shows; clicking it opens the conversation. */
export function pushPayloadOf(c: ConversationSummary, kind: AlertKind): PushPayload {
  const author = c.members.find((m) => m.userId === c.preview?.author)?.username ?? "someone";
  const text = c.preview?.call ? `missed ${c.preview.call.media} call` : c.preview?.text || "sent an attachment";
  const clipped = text.length > MAX_BODY ? `${text.slice(0, MAX_BODY - 1)}…` : text;
  return {
    conversationId: c.id,
    kind,
    title: c.type === "direct" ? author : kind === "mention" ? `${author} mentioned you in ${c.title}` : c.title,
    body: c.type === "direct" ? clipped : `${author}: ${clipped}`,
    seq: c.lastSeq,
  };
}

export interface PushStore {
  pushSubscriptions(): Promise<PushSubscriptionBody[]>;
  removePushSubscription(endpoint: string): Promise<void>;
}

/** Decide and deliver; never throws (a push is best effort: the message itself is stored). */
export async function alertOffline(o: {
  userId: string; settings: NotifySettings; now: number; sender: PushSender; store: PushStore;
  old: ConversationSummary | undefined; c: ConversationSummary;
}): Promise<PushOutcome[]> {
  const kind = newMessageKind(o.userId, o.old, o.c);
  if (!kind || !shouldAlert(o.settings, o.c.id, kind, o.now) || kind === "message") return [];
  try {
    const subs = await o.store.pushSubscriptions();
    const payload = pushPayloadOf(o.c, kind);
    return await Promise.all(subs.map(async (s) => {
      const outcome = await o.sender.send(s, payload).catch((e): PushOutcome => {
        console.warn(`[inbox ${o.userId}] push to ${new URL(s.endpoint).origin} failed:`, e);
        return "failed";
      });
      if (outcome === "gone") await o.store.removePushSubscription(s.endpoint).catch(() => {});
      return outcome;
    }));
  } catch (e) {
    console.error(`[inbox ${o.userId}] push failed`, e);
    return [];
  }
}
