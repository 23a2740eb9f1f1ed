import { CloseCodes, defaultNotifySettings, type ConversationSummary, type NotifySettings, type Presence, type ServerFrame, type ServerFrameOf } from "../../../protocol/index.ts";
import type { Api } from "../api/client.ts";
import { presenceMap, removeSummary, sortByActivity, upsertSummary } from "../state/inbox.ts";
import { ReconnectingSocket, type SocketState, socketUrl } from "./socket.ts";

const NO_PRESENCE: Record<string, Presence> = Object.freeze({}) as Record<string, Presence>;

/**
 * The always-open inbox socket: the conversation list with unread counts and previews, contacts'
 * presence, and incoming call rings. Reports presence (online/away) as the tab gains or loses view.
 */
export class InboxConnection {
  list: ConversationSummary[] = [];
  presence: Record<string, Presence> = {};
  /** The user's notification settings (protocol/notify.ts), as the server last sent them. */
  notify: NotifySettings = defaultNotifySettings();
  state: SocketState = "connecting";
  /** True once the first `inbox` frame arrived (the list is real, not empty-because-loading). */
  loaded = false;
  private socket: ReconnectingSocket;
  private listeners = new Set<() => void>();
  private readonly onVisibility = () => this.reportPresence();
  /** The browser's own network state changes what `knownPresence` may claim (the socket may not
   *  notice a dead network for a while). */
  private readonly onNetwork = () => this.emit();

  constructor(
    private readonly api: Api,
    private readonly me: string,
    private readonly hooks: {
      onConv?(c: ConversationSummary, prev: ConversationSummary | undefined): void;
      onRemoved?(id: string): void;
      onCall?(f: ServerFrameOf<"call">): void;
      /** Someone's profile changed (a `presence` frame with `profile`). */
      onProfile?(userId: string): void;
      onConnected?(): void;
      /** Closed with 4003 (the account was locked) or 4001 (this session was signed out). */
      onForbidden?(): void;
    } = {},
  ) {
    this.socket = new ReconnectingSocket({
      url: async () => socketUrl("/v1/ws/inbox", { ticket: await this.api.wsTicket() }),
      onFrame: (f) => this.onFrame(f),
      onState: (s, detail) => {
        this.state = s;
        this.emit();
        if (s === "closed" && (detail?.code === CloseCodes.forbidden || detail?.code === CloseCodes.signedOut)) this.hooks.onForbidden?.();
      },
    });
    document.addEventListener("visibilitychange", this.onVisibility);
    globalThis.addEventListener?.("online", this.onNetwork);
    globalThis.addEventListener?.("offline", this.onNetwork);
  }

  /** Contacts' presence as far as this client can tell now: none while its own inbox socket is
   *  down (the dots would otherwise stay green for people who may have left meanwhile). */
  get knownPresence(): Record<string, Presence> {
    const online = typeof navigator === "undefined" || navigator.onLine !== false;
    return this.state === "open" && online ? this.presence : NO_PRESENCE;
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Local change (created a chat, read messages) before the server's `conv` frame arrives. */
  patch(f: (list: ConversationSummary[]) => ConversationSummary[]): void {
    this.list = f(this.list);
    this.emit();
  }

  /** The settings as a REST call answered them (the `notify` frame follows; either may come first). */
  setNotify(s: NotifySettings): void {
    this.notify = s;
    this.emit();
  }

  reconnect(): void {
    this.socket.reconnectNow();
  }

  close(): void {
    document.removeEventListener("visibilitychange", this.onVisibility);
    globalThis.removeEventListener?.("online", this.onNetwork);
    globalThis.removeEventListener?.("offline", this.onNetwork);
    this.socket.close();
    this.listeners.clear();
  }

  private reportPresence(): void {
    this.socket.send({ t: "presence", status: document.visibilityState === "visible" ? "online" : "away" });
  }

  /**
   * Presence is pushed for people who were contacts when the socket opened; a chat started since
   * then has a peer we know nothing about yet, so ask once. Pushed updates win over this answer.
   */
  private async fillPresence(): Promise<void> {
    const missing = new Set<string>();
    for (const c of this.list) for (const m of c.members) if (m.userId !== this.me && !this.presence[m.userId]) missing.add(m.userId);
    if (missing.size === 0) return;
    try {
      const got = await this.api.presence([...missing].slice(0, 200));
      const next = { ...this.presence };
      for (const p of got) next[p.userId] ??= p;
      this.presence = next;
      this.emit();
    } catch {
      // Offline: the next inbox frame brings presence anyway.
    }
  }

  private onFrame(f: ServerFrame): void {
    switch (f.t) {
      case "inbox":
        this.list = sortByActivity(f.conversations);
        this.presence = presenceMap(f.presence);
        if (f.notify) this.notify = f.notify;
        this.loaded = true;
        this.socket.healthy();
        this.reportPresence();
        this.hooks.onConnected?.();
        void this.fillPresence();
        break;
      case "conv": {
        const prev = this.list.find((c) => c.id === f.c.id);
        this.list = upsertSummary(this.list, f.c);
        this.hooks.onConv?.(f.c, prev);
        void this.fillPresence();
        break;
      }
      case "removed":
        this.list = removeSummary(this.list, f.conversationId);
        this.hooks.onRemoved?.(f.conversationId);
        break;
      case "presence":
        this.presence = { ...this.presence, [f.p.userId]: f.p };
        // Their profile just changed (name, status, avatar, or the account was deleted): re-read it.
        if (f.p.profile !== undefined) this.hooks.onProfile?.(f.p.userId);
        break;
      case "notify":
        this.notify = f.settings;
        break;
      case "call":
        this.hooks.onCall?.(f);
        return;
      default:
        return;
    }
    this.emit();
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }
}
