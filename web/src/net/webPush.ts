/**
 * Web Push on this device: the service worker (web/public/sw.js) and a push subscription made with
 * the server's VAPID key, registered with the server (POST /v1/push/subscriptions) so a direct
 * message or a mention reaches this device while no Nexus tab is open.
 */
import type { NotifyApi } from "../api/notifyApi.ts";

export type PushState = "unsupported" | "unavailable" | "denied" | "off" | "on";

const keyBytes = (b64url: string) => Uint8Array.from(atob(b64url.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

const supported = () => typeof navigator !== "undefined" && "serviceWorker" in navigator && typeof PushManager !== "undefined" && typeof Notification !== "undefined";

async function registration(): Promise<ServiceWorkerRegistration> {
  await navigator.serviceWorker.register("/sw.js");
  return navigator.serviceWorker.ready;
}

export async function pushState(): Promise<PushState> {
  if (!supported()) return "unsupported";
  if (Notification.permission === "denied") return "denied";
  const reg = await navigator.serviceWorker.getRegistration("/");
  return (await reg?.pushManager.getSubscription()) ? "on" : "off";
}

export async function enablePush(api: NotifyApi): Promise<PushState> {
  if (!supported()) return "unsupported";
  const key = await api.pushKey();
  if (!key) return "unavailable";
  if ((await Notification.requestPermission()) !== "granted") return "denied";
  const reg = await registration();
  const sub = (await reg.pushManager.getSubscription()) ?? (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) }));
  const json = sub.toJSON();
  await api.subscribe({ endpoint: json.endpoint!, keys: { p256dh: json.keys!.p256dh!, auth: json.keys!.auth! } });
  return "on";
}

export async function disablePush(api: NotifyApi): Promise<PushState> {
  if (!supported()) return "unsupported";
  const sub = await (await navigator.serviceWorker.getRegistration("/"))?.pushManager.getSubscription();
  if (sub) {
    await api.unsubscribe(sub.endpoint).catch(() => {}); // the server drops it at its first 410 anyway
    await sub.unsubscribe();
  }
  return "off";
}
