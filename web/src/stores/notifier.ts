import { badgeCount, newMessageKind, shouldAlert, type ConversationSummary, type NotifySettings } from "../../../protocol/index.ts";

/**
 * Tells the person about new messages while they look elsewhere: a browser notification (when
 * permitted) and an unread count in the tab title. Both follow the notification settings with the
 * rule the server's Web Push follows (protocol/notify.ts): a muted conversation neither counts in
 * the title nor pops up; do-not-disturb silences notifications but keeps the count.
 */
const BASE_TITLE = "Nexus";

export class Notifier {
  private unread = 0;
  private readonly onVisibility = () => this.render();

  constructor(
    private readonly me: string,
    private readonly titleOf: (conversationId: string) => string,
    private readonly settings: () => NotifySettings,
  ) {
    document.addEventListener("visibilitychange", this.onVisibility);
  }

  static get permission(): NotificationPermission | "unsupported" {
    return typeof Notification === "undefined" ? "unsupported" : Notification.permission;
  }

  static async request(): Promise<NotificationPermission | "unsupported"> {
    if (typeof Notification === "undefined") return "unsupported";
    return Notification.requestPermission();
  }

  setUnread(list: ConversationSummary[]): void {
    this.unread = badgeCount(this.settings(), list, Date.now());
    this.render();
  }

  maybeNotify(c: ConversationSummary, prev: ConversationSummary | undefined, viewing: boolean): void {
    const kind = newMessageKind(this.me, prev, c);
    if (!kind || (viewing && !document.hidden) || !document.hidden) return;
    if (!shouldAlert(this.settings(), c.id, kind, Date.now())) return;
    if (Notifier.permission !== "granted") return;
    try {
      const n = new Notification(this.titleOf(c.id), { body: c.preview!.call ? "Missed call" : c.preview!.text.slice(0, 140) || "Attachment", tag: c.id });
      n.onclick = () => {
        window.focus();
        location.hash = `#/c/${c.id}`;
        n.close();
      };
    } catch {
      // Some platforms only allow notifications from a service worker; the title badge still works.
    }
  }

  dispose(): void {
    document.removeEventListener("visibilitychange", this.onVisibility);
    this.unread = 0;
    this.render();
  }

  private render(): void {
    document.title = this.unread > 0 ? `(${this.unread}) ${BASE_TITLE}` : BASE_TITLE;
  }
}
