/**
 * The operations the edge may call on actors, identical on every host. On Bun these are method
 * calls on in-process actors; on Cloudflare they are Durable Object RPC calls. Every operation takes
 * the Caller and the actor checks what the caller may do.
 */
import type {
  Attachment,
  AttachmentRef,
  ConversationEvent,
  ConversationInfo,
  ConversationSummary,
  GroupProfileChange,
  Member,
  MessageEvent,
  MessageSearch,
  Presence,
  Role,
  ConversationNotifyBody,
  DndBody,
  NotifySettings,
  PushSubscriptionBody,
} from "../protocol/index.ts";
import type { Caller, InboxUpdate, RingNotice, SessionEnd } from "./ports.ts";
import type { PendingUpload } from "./inbox/pendingUploads.ts";

export interface CreateConversation {
  type: "direct" | "group";
  title: string;
  /** Includes the creator (who becomes admin of a group). */
  members: Member[];
}

export interface SendInput {
  clientId: string;
  /** The newest seq the client had seen when it first sent this message (see protocol/frames.ts). */
  base?: number;
  text: string;
  replyTo?: number;
  /** A reply in the thread of this root (protocol/threads.ts); checked when the message is applied. */
  threadRoot?: number;
  attachments?: string[];
  /** Member ids, "@all", "@here" (protocol/mentions.ts); checked when the message is applied. */
  mentions?: string[];
}

export interface PinInput {
  clientId: string;
  base?: number;
  target: number;
  on: boolean;
}

/** A thread: its root (current state), replies after the page's `after` oldest first, and who follows it. */
export interface ThreadPage {
  root: MessageEvent;
  replies: MessageEvent[];
  hasMore: boolean;
  followers: string[];
  /** The caller's place in it: following, and the newest reply they marked read. */
  following: boolean;
  readSeq: number;
  /** Set as on HistoryPage: read from a cluster node's replica of a lost home region. */
  readOnly?: true;
}

export interface HistoryPage {
  events: ConversationEvent[];
  hasMore: boolean;
  /** Set by a cluster node that read the page from its replica of a lost home region: it may trail
   *  the log, and nothing can be written meanwhile (docs/api.md, X-Nexus-Read-Only). */
  readOnly?: true;
}

export interface ConversationApi {
  /** Idempotent for direct conversations: creating an existing one returns it. */
  create(caller: Caller, init: CreateConversation): Promise<ConversationInfo>;
  info(caller: Caller): Promise<ConversationInfo>;
  rename(caller: Caller, title: string): Promise<{ seq: number }>;
  /** A group admin sets or removes the group's description or picture: a `profile` event. */
  setGroupProfile(caller: Caller, change: GroupProfileChange): Promise<{ seq: number }>;
  addMember(caller: Caller, member: Member): Promise<{ seq: number }>;
  /** Removing yourself is leaving. Removed members' sockets are closed at once. */
  removeMember(caller: Caller, userId: string): Promise<{ seq: number }>;
  setRole(caller: Caller, userId: string, role: Role): Promise<{ seq: number }>;
  history(caller: Caller, before: number | undefined, limit: number): Promise<HistoryPage>;
  send(caller: Caller, input: SendInput): Promise<{ seq: number; ts: number; duplicate: boolean }>;
  deleteMessage(caller: Caller, target: number, clientId: string): Promise<{ seq: number }>;
  /** Pin (`on`) or unpin a message: a `pin` event. */
  pin(caller: Caller, input: PinInput): Promise<{ seq: number; ts: number; duplicate: boolean }>;
  /** The pinned messages, newest first (at most 100). */
  pins(caller: Caller): Promise<MessageEvent[]>;
  /** Messages matching `q` (a string: its words), newest first (ts, then seq), at most `limit`. */
  search(caller: Caller, q: MessageSearch | string, limit: number): Promise<MessageEvent[]>;
  /** A thread page (protocol/threads.ts); members only. */
  thread(caller: Caller, root: number, after: number | undefined, limit: number): Promise<ThreadPage>;
  /** Follow (`on`) or unfollow a thread; idempotent. */
  followThread(caller: Caller, root: number, on: boolean): Promise<void>;
  /** The caller has seen the thread's replies up to `seq`. */
  readThread(caller: Caller, root: number, seq: number): Promise<void>;
  /** Record an uploaded blob as belonging to this conversation (uploader must be a member). */
  addAttachment(caller: Caller, ref: AttachmentRef): Promise<Attachment>;
  /** Metadata of an attachment, for members only. */
  attachment(caller: Caller, id: string): Promise<Attachment>;
  /** Account admins, or the user themselves: close `userId`'s sockets here at once (account locked,
   *  deactivated or deleted; password changed: 4003), or a session's on logout (`end`: 4001). */
  kick(caller: Caller, userId: string, end?: SessionEnd | null): Promise<void>;
}

export interface InboxApi {
  list(caller: Caller): Promise<ConversationSummary[]>;
  presence(): Promise<Presence>;
  /** The caller's own notification settings (protocol/notify.ts); changes reach every device as a
   *  `notify` frame on the inbox socket. */
  notifySettings(caller: Caller): Promise<NotifySettings>;
  setConversationNotify(caller: Caller, conversationId: string, body: ConversationNotifyBody): Promise<NotifySettings>;
  setDnd(caller: Caller, body: DndBody): Promise<NotifySettings>;
  /** One Web Push subscription per device (its endpoint is the key). */
  addPushSubscription(caller: Caller, sub: PushSubscriptionBody): Promise<void>;
  removePushSubscription(caller: Caller, endpoint: string): Promise<void>;
  /** The endpoints of the caller's subscribed devices (a dead one is removed at its first 404/410). */
  pushSubscriptions(caller: Caller): Promise<string[]>;
  /** Account admins, or the user themselves: close this user's inbox sockets at once. */
  kick(caller: Caller, end?: SessionEnd | null): Promise<void>;
  /** The user themselves (the edge, before storing an upload's bytes): count the upload as not yet
   *  sent, or refuse it (429) when the user's unsent uploads would pass `capBytes` (pendingUploads.ts). */
  reserveUpload(caller: Caller, upload: PendingUpload, capBytes: number): Promise<void>;
  /** The user themselves (the edge, after their profile changed): the screens that show it re-read
   *  it now, rather than at their next periodic refresh (a `presence` frame with `profile`). */
  profileChanged(caller: Caller): Promise<void>;
}

/** What conversations tell an inbox (the receiving end of ActorMesh): at-least-once, any order. */
export interface InboxMeshApi {
  apply(update: InboxUpdate): Promise<void>;
  ring(notice: RingNotice): void;
  presenceChanged(p: Presence): void;
}

/** Everything another process may call on an actor: the edge's API, and for inboxes the mesh. */
export interface RemoteApi {
  conversation: ConversationApi;
  inbox: InboxApi & InboxMeshApi;
}

export type ActorKind = keyof RemoteApi;

/**
 * The remotely callable methods of each kind with their most arguments, derived from the types above
 * by the compiler: a method added to an API without a row, a row for a method that does not exist,
 * or a wrong count, fails `tsc`. Cluster RPC (hosts/cluster/actorRpc.ts) accepts exactly these, and
 * the Durable Objects (hosts/cloudflare/forwardToActor.ts) forward exactly these.
 */
type Arities<Api> = { [M in keyof Api]-?: Api[M] extends (...a: infer P) => unknown ? Required<P>["length"] : never };
export const REMOTE_METHODS = {
  conversation: {
    create: 2, info: 1, rename: 2, setGroupProfile: 2, addMember: 2, removeMember: 2, setRole: 3, history: 3, send: 2, deleteMessage: 3, pin: 2, pins: 1,
    search: 3, thread: 4, followThread: 3, readThread: 3, addAttachment: 2, attachment: 2, kick: 3,
  },
  inbox: {
    list: 1, presence: 0, kick: 2, notifySettings: 1, setConversationNotify: 3, setDnd: 2, addPushSubscription: 2, removePushSubscription: 2, pushSubscriptions: 1,
    reserveUpload: 3, profileChanged: 1, apply: 1, ring: 1, presenceChanged: 1,
  },
} as const satisfies { [K in ActorKind]: Arities<RemoteApi[K]> };

export interface ActorsClient {
  conversation(id: string): ConversationApi;
  inbox(userId: string): InboxApi;
}
