/**
 * What an actor needs from the platform it runs on. Actors import nothing else from a runtime:
 * hosts (hosts/*) implement these small interfaces for Bun and for Durable Objects.
 */
import type { ConversationSummary, Presence, CallSignal } from "../protocol/index.ts";

export interface Clock {
  now(): number;
  /** Run `fn` after `ms`; returns a cancel function. Hosts may coalesce timers. */
  schedule(ms: number, fn: () => void): () => void;
}

export interface Ids {
  /** Random, URL-safe id (epochs, call ids). */
  random(): string;
}

/** One client socket attached to an actor. */
export interface Connection {
  readonly id: string;
  readonly userId: string;
  /** The sign-in session (refresh family) whose ticket opened it: a logout closes its sockets. */
  readonly session?: string;
  /** Queue an already-encoded frame. Must not throw; a dead socket just drops it. */
  send(frame: string): void;
  close(code: number, reason: string): void;
  /** Bytes queued but not yet written to the network. A host that cannot see its send buffer
   *  estimates it from the client's flow-control acks (`ackChars`, `received`). */
  buffered(): number;
  /** Set when the client must acknowledge what it receives, at least every this many chars: the
   *  welcome tells it so (protocol/flow.ts). Hosts that see their send buffer leave it unset. */
  readonly ackChars?: number;
  /** A client's flow-control ack: the total chars it has received on this socket. */
  received?(chars: number): void;
  /** Hosts with native pub/sub (Bun) let a socket join a topic that `Publisher` sends to. */
  subscribe?(topic: string): void;
  unsubscribe?(topic: string): void;
}

/** Where a reconnecting client's view ended (gap-free resume, docs/protocol.md). */
export interface Resume {
  after?: number;
  epoch?: string;
}

/**
 * What a host does with a client socket, whichever actor owns it (conversation or inbox): both
 * actors implement it, so hosts route sockets without asking which kind they hold.
 */
export interface SocketActor {
  /** Welcome (and resume) the socket; it receives live frames from then on. */
  connect(conn: Connection, resume?: Resume): Promise<void>;
  /** Re-attach a socket that outlived the actor's sleep (Durable Object hibernation), no welcome. */
  restore(conn: Connection): void;
  /** One frame from the client, as text; validated by the actor. */
  receive(conn: Connection, raw: string): Promise<void>;
  disconnect(conn: Connection): void;
}

/** Native one-to-many send (Bun's server.publish): encodes and queues a frame once for a topic. */
export type Publisher = (topic: string, frame: string) => void;

/** Why `kick` closes a user's sockets: absent, the account was locked (4003); present, sessions
 *  ended (4001): the one given, or all of the user's when `session` is absent. */
export interface SessionEnd {
  session?: string;
}

/** Who is calling an actor operation; every operation checks it. */
export interface Caller {
  userId: string;
  /** Global (account) admin: may delete any message. */
  admin?: boolean;
}

/** What a conversation tells a member's inbox (fire-and-forget; inbox applies monotonically by lastSeq). */
export interface InboxUpdate {
  summary: ConversationSummary;
  /** The member was removed or left: drop the row. */
  removed?: boolean;
  /** Persist before resolving (membership changes), instead of writing behind. */
  durable?: boolean;
  /** Uploads of this user the conversation's committed messages now reference: no longer pending
   *  (inbox/pendingUploads.ts). */
  sentUploads?: string[];
}

export interface RingNotice {
  conversationId: string;
  from: string;
  signal: CallSignal;
}

/** How actors reach other actors (inboxes of members). Delivery is at-least-once, unordered. */
export interface ActorMesh {
  notifyInbox(userId: string, update: InboxUpdate): void;
  /** Like notifyInbox, but resolves once the inbox has stored the update (used for membership
   *  changes, so a created or joined conversation never vanishes from a list after a crash). */
  syncInbox(userId: string, update: InboxUpdate): Promise<void>;
  ring(userId: string, notice: RingNotice): void;
  /** Presence fan-out to a contact's inbox. */
  presenceChanged(toUserId: string, presence: Presence): void;
  /** Current presence of users (asked by an inbox when a socket connects). */
  presenceOf(userIds: string[]): Promise<Presence[]>;
}
