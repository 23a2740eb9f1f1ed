import type { AttachmentRef, ConversationSummary, PublicUser } from "../../../protocol/index.ts";
import { type Api, ApiError, NetworkError } from "../api/client.ts";
import { CallController } from "../calls/call.ts";
import type { ConversationConnection } from "../net/conversation.ts";
import { InboxConnection } from "../net/inbox.ts";
import { ConnectionRegistry } from "../net/registry.ts";
import { OutboxFlusher, type SendOutcome } from "../state/flusher.ts";
import { newClientId } from "../state/ids.ts";
import { UNKNOWN_PERSON, usernameInHistory } from "../state/names.ts";
import { type EnqueueResult, Outbox, type OutboxItem } from "../state/outbox.ts";
import type { KeyValueStore } from "../state/storage.ts";
import { Notifier } from "./notifier.ts";
import { NotifyApi } from "../api/notifyApi.ts";
import { Drafts } from "../state/drafts.ts";
import { People } from "./people.ts";
import { ImageUrls } from "./imageUrls.ts";

/**
 * Everything that lives while a person is logged in: the inbox socket, conversation sockets, the
 * outbox and its flusher, calls and notifications. Built on login, disposed on logout.
 */
export class LiveSession {
  readonly inbox: InboxConnection;
  readonly registry: ConnectionRegistry;
  readonly outbox: Outbox;
  readonly flusher: OutboxFlusher;
  readonly calls: CallController;
  readonly notifier: Notifier;
  /** Notification settings and Web Push subscriptions (REST; the copy in force is `inbox.notify`). */
  readonly notify: NotifyApi;
  /** Unsent text per conversation, kept across reloads (state/drafts.ts). */
  readonly drafts: Drafts;
  /** Display names, statuses and avatars (stores/people.ts). */
  readonly people: People;
  /** Group pictures, by conversation and version (groupPictureUrl). */
  private readonly groupPictures = new ImageUrls();
  private readonly offs: (() => void)[] = [];
  private readonly onOnline = () => this.flusher.kick();
  private readonly onStorage = (e: StorageEvent) => {
    if (e.key === this.drafts.storageKey) this.drafts.reload();
    if (e.key !== this.outbox.storageKey) return;
    this.outbox.reload();
    this.flusher.kick();
  };

  constructor(
    readonly api: Api,
    readonly user: PublicUser,
    store: KeyValueStore,
    private readonly isViewing: (conversationId: string) => boolean,
    onForbidden: () => void = () => {},
  ) {
    this.outbox = new Outbox(store, `nexus.outbox.${user.id}`);
    this.drafts = new Drafts(store, `nexus.drafts.${user.id}`);
    this.people = new People(api);
    this.registry = new ConnectionRegistry(api, user.id, (conn) => this.wire(conn));
    this.flusher = new OutboxFlusher(this.outbox, (item) => this.transport(item), (item, seq) => {
      const conn = this.registry.peek(item.conversationId);
      conn?.timeline.markAcked(item.clientId, seq);
      conn?.emit();
    });
    this.notifier = new Notifier(user.id, (id) => this.titleOf(id), () => this.inbox.notify);
    this.notify = new NotifyApi(api.http);
    this.inbox = new InboxConnection(api, user.id, {
      onConnected: () => {
        // The server is reachable again: do not leave conversation sockets sleeping in backoff.
        for (const conn of this.registry.all()) if (!conn.open && !conn.closedReason) conn.reconnect();
        this.flusher.kick();
      },
      onConv: (c, prev) => this.notifier.maybeNotify(c, prev, this.isViewing(c.id)),
      onCall: (f) => this.calls.onSignal(f),
      onProfile: (userId) => void this.people.refresh(userId).catch(() => {}), // offline: the periodic refresh catches up
      onForbidden,
    });
    this.offs.push(this.inbox.subscribe(() => this.notifier.setUnread(this.inbox.list)));
    this.calls = new CallController(api, this.registry, user.id, (uid) => this.nameOf(uid));
    this.offs.push(this.outbox.subscribe(() => this.syncPending()));
    addEventListener("online", this.onOnline);
    addEventListener("storage", this.onStorage);
    this.flusher.kick();
  }

  send(conversationId: string, text: string, opts: { replyTo?: number; attachments?: AttachmentRef[]; mentions?: string[] } = {}): EnqueueResult {
    const timeline = this.registry.peek(conversationId)?.timeline;
    const base = timeline?.loaded ? timeline.lastSeq : undefined;
    const r = this.outbox.enqueue({ clientId: newClientId("m"), conversationId, text, replyTo: opts.replyTo, attachments: opts.attachments,
      mentions: opts.mentions?.length ? opts.mentions : undefined, base });
    if (r.ok) this.flusher.kick();
    return r;
  }

  retry(clientId: string): void {
    this.outbox.retry(clientId);
    this.flusher.kick();
  }

  discard(clientId: string): void {
    const item = this.outbox.items().find((i) => i.clientId === clientId);
    this.outbox.discard(clientId);
    if (item) {
      const conn = this.registry.peek(item.conversationId);
      conn?.timeline.removePending(clientId);
      conn?.emit();
    }
  }

  summary(id: string): ConversationSummary | undefined {
    return this.inbox.list.find((c) => c.id === id);
  }

  /** Object URL of a group's picture `version` at `size`, or null while loading / without one. */
  groupPictureUrl(conversationId: string, version: string | undefined, size: 64 | 256): string | null {
    if (!version) return null;
    return this.groupPictures.get(`${conversationId}:${version}:${size}`, () => this.api.groupPictureBlob(conversationId, version, size));
  }

  /** The name people see: the display name when set, else the username (the handle); "Deleted user"
   *  for a deleted account. */
  nameOf(userId: string): string {
    const username = this.usernameOf(userId);
    // A deleted account is "Deleted user" even where no member list or loaded history names it.
    return username === UNKNOWN_PERSON && !this.people.get(userId)?.deleted ? username : this.people.displayName(userId, username);
  }

  /** The handle (@username), for mentions and where the display name is shown beside it. */
  usernameOf(userId: string): string {
    if (userId === this.user.id) return this.user.username;
    for (const c of this.inbox.list) for (const m of c.members) if (m.userId === userId) return m.username;
    for (const conn of this.registry.all()) for (const m of conn.info?.members ?? []) if (m.userId === userId) return m.username;
    // Gone from every member list (left, removed): the history still has their name.
    for (const conn of this.registry.all()) {
      const name = usernameInHistory(conn.timeline.rows(), userId);
      if (name) return name;
    }
    return UNKNOWN_PERSON;
  }

  dispose(): void {
    removeEventListener("online", this.onOnline);
    removeEventListener("storage", this.onStorage);
    for (const off of this.offs) off();
    this.calls.hangup();
    this.flusher.stop();
    this.inbox.close();
    this.registry.closeAll();
    this.notifier.dispose();
    this.people.dispose();
    this.groupPictures.dispose();
  }

  /** Socket when this conversation's socket is open (fast, acked in-band), REST otherwise. */
  private async transport(item: OutboxItem): Promise<SendOutcome> {
    const conn = this.registry.peek(item.conversationId);
    if (conn?.open) return conn.sendQueued(item);
    try {
      const r = await this.api.sendMessage(item.conversationId, {
        clientId: item.clientId,
        text: item.text,
        replyTo: item.replyTo,
        attachments: item.attachments?.map((a) => a.id),
        mentions: item.mentions,
      });
      return { kind: "ok", seq: r.seq, ts: r.ts };
    } catch (e) {
      if (e instanceof NetworkError) return { kind: "retry", reason: e.message };
      if (e instanceof ApiError && (e.transient || e.status === 401)) return { kind: "retry", reason: e.code };
      return { kind: "fatal", message: e instanceof Error ? e.message : String(e) };
    }
  }

  /** A conversation socket opened: show its queued sends, and flush once it is connected. */
  private wire(conn: ConversationConnection): void {
    for (const item of this.outbox.forConversation(conn.id)) conn.timeline.addPending(item);
    let wasOpen = false;
    let wasReadOnly = false;
    conn.subscribe(() => {
      // Reconnected, or its storage is back (queued sends were refused as retryable meanwhile).
      if ((conn.open && !wasOpen) || (wasReadOnly && !conn.readOnly)) this.flusher.kick();
      wasOpen = conn.open;
      wasReadOnly = conn.readOnly;
    });
  }

  private syncPending(): void {
    for (const conn of this.registry.all()) {
      for (const item of this.outbox.forConversation(conn.id)) conn.timeline.addPending(item);
      conn.emit();
    }
  }

  private titleOf(id: string): string {
    const c = this.summary(id);
    if (!c) return "Nexus";
    const other = c.type === "direct" ? c.members.find((m) => m.userId !== this.user.id) : undefined;
    return other ? this.people.displayName(other.userId, other.username) : c.title;
  }
}
