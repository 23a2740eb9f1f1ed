/*
 * Nexus service worker: shows a Web Push message (payload: protocol/notify.ts PushPayload, already
 * decrypted by the browser) and opens its conversation when the notification is clicked.
 */
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let p = null;
  try {
    p = event.data ? event.data.json() : null;
  } catch {
    p = null;
  }
  if (!p || typeof p.conversationId !== "string") return;
  event.waitUntil(
    self.registration.showNotification(String(p.title || "Nexus"), {
      body: String(p.body || ""),
      tag: p.conversationId, // one notification per conversation: a newer message replaces it
      renotify: true,
      data: { conversationId: p.conversationId, seq: p.seq },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const id = event.notification.data && event.notification.data.conversationId;
  const url = new URL(id ? `/#/c/${encodeURIComponent(id)}` : "/", self.location.origin).href;
  event.waitUntil(
    (async () => {
      const open = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      for (const c of open) {
        if (new URL(c.url).origin !== self.location.origin) continue;
        await c.focus();
        return c.navigate ? c.navigate(url) : undefined;
      }
      return self.clients.openWindow(url);
    })(),
  );
});
