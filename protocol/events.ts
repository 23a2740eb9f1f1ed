import { z } from "zod";
import { Mentions } from "./mentions.ts";
import { storableText } from "./storableText.ts";
import { ThreadSummary } from "./threads.ts";

export * from "./mentions.ts";
export * from "./threads.ts";
export * from "./groupProfile.ts";

/**
 * The ordered log of a conversation. Every event has `seq = previous + 1`, assigned only by the
 * conversation actor, committed before anyone is told about it. Edits, deletes, reactions and
 * membership changes are events too, so a resuming client replays them like messages.
 *
 * In history pages a `message` event carries its *current* state (edited text, tombstone,
 * reactions); in live/replayed streams the later `edit`/`delete`/`reaction` events say what changed.
 */
export const UserId = z.string().min(1).max(64);
export const ConversationId = z.string().regex(/^[a-z]_[A-Za-z0-9_-]{6,64}$/, "invalid conversation id");
export const ClientId = z.string().min(8).max(64).regex(/^[A-Za-z0-9_-]+$/, "clientId: 8-64 chars of [A-Za-z0-9_-]");
export const Seq = z.number().int().min(1);
/**
 * `base` (optional wherever a clientId is): the newest seq the client had seen in the conversation
 * when it FIRST sent the operation; a resend carries the same value. The server then looks for an
 * earlier copy only among events after `base`, which it holds in memory. Without it, a resend is
 * still recognised among the conversation's newest ~10,000 events (5,000 in memory, the rest by a
 * walk through the stored log, which costs the server for every such write).
 */
export const Base = z.number().int().min(0);
export const Emoji = storableText("emoji").min(1).max(32);
export const Role = z.enum(["admin", "member"]);
export type Role = z.infer<typeof Role>;

export const AttachmentRef = z.object({
  id: z.string().min(1).max(64),
  name: storableText("name").min(1).max(255),
  type: storableText("type").min(1).max(255),
  size: z.number().int().min(0),
});
export type AttachmentRef = z.infer<typeof AttachmentRef>;

export const Member = z.object({ userId: UserId, username: z.string(), role: Role });
export type Member = z.infer<typeof Member>;

const base = { seq: Seq, ts: z.number(), author: UserId };

export const MessageEvent = z.object({
  ...base,
  kind: z.literal("message"),
  clientId: z.string(),
  text: z.string(),
  replyTo: Seq.optional(),
  /** A thread reply: the seq of its root (protocol/threads.ts). */
  threadRoot: Seq.optional(),
  attachments: z.array(AttachmentRef).optional(),
  /** Who it mentions (protocol/mentions.ts): fixed at send, an edit does not change them. */
  mentions: Mentions.optional(),
  /** Materialized state (history pages and after-the-fact views). */
  editedTs: z.number().optional(),
  /** Pinned (by whom, when): see `pin` events. */
  pinned: z.object({ by: UserId, ts: z.number() }).optional(),
  /** A thread root: its replies so far (protocol/threads.ts). */
  thread: ThreadSummary.optional(),
  deleted: z.boolean().optional(),
  reactions: z.record(z.string(), z.array(UserId)).optional(),
});
export const EditEvent = z.object({ ...base, kind: z.literal("edit"), clientId: z.string(), target: Seq, text: z.string() });
export const DeleteEvent = z.object({ ...base, kind: z.literal("delete"), clientId: z.string(), target: Seq });
export const ReactionEvent = z.object({
  ...base,
  kind: z.literal("reaction"),
  clientId: z.string(),
  target: Seq,
  emoji: Emoji,
  on: z.boolean(),
});
/** Pin (`on`) or unpin a message. In a direct chat any member may; in a group, its admins. */
export const PinEvent = z.object({ ...base, kind: z.literal("pin"), clientId: z.string(), target: Seq, on: z.boolean() });
export const MemberEvent = z.object({
  ...base,
  kind: z.literal("member"),
  userId: UserId,
  username: z.string(),
  action: z.enum(["add", "remove", "leave", "role"]),
  role: Role.optional(),
});
export const RenameEvent = z.object({ ...base, kind: z.literal("rename"), title: z.string() });
/** A group admin changed the group's picture or description (`changed`); both fields are the
 *  group's profile after the change (absent: unset), see protocol/groupProfile.ts. */
export const GroupProfileEvent = z.object({
  ...base,
  kind: z.literal("profile"),
  changed: z.enum(["picture", "description"]),
  description: z.string().optional(),
  picture: z.string().optional(),
});
export const CreatedEvent = z.object({
  ...base,
  kind: z.literal("created"),
  type: z.enum(["direct", "group"]),
  title: z.string(),
  members: z.array(Member),
});
export const CallEvent = z.object({
  ...base,
  kind: z.literal("call"),
  callId: z.string(),
  media: z.enum(["audio", "video"]),
  outcome: z.enum(["completed", "missed", "declined"]),
  durationMs: z.number().int().min(0),
});

export const ConversationEvent = z.discriminatedUnion("kind", [
  MessageEvent,
  EditEvent,
  DeleteEvent,
  ReactionEvent,
  PinEvent,
  MemberEvent,
  RenameEvent,
  GroupProfileEvent,
  CreatedEvent,
  CallEvent,
]);
export type ConversationEvent = z.infer<typeof ConversationEvent>;
export type MessageEvent = z.infer<typeof MessageEvent>;
export type CallEvent = z.infer<typeof CallEvent>;
export type GroupProfileEvent = z.infer<typeof GroupProfileEvent>;

/** The conversation as a member sees it on connect. */
export const ConversationInfo = z.object({
  id: ConversationId,
  type: z.enum(["direct", "group"]),
  title: z.string(),
  /** A group's description and picture version (GET /v1/conversations/:id/picture?v=); absent: none. */
  description: z.string().optional(),
  picture: z.string().optional(),
  members: z.array(Member),
  epoch: z.string(),
  lastSeq: z.number().int().min(0),
  /** Read cursor per member (userId → seq). */
  reads: z.record(z.string(), z.number().int().min(0)),
});
export type ConversationInfo = z.infer<typeof ConversationInfo>;

/** One row of a user's inbox (conversation list). */
export const ConversationSummary = z.object({
  id: ConversationId,
  type: z.enum(["direct", "group"]),
  title: z.string(),
  /** A group's picture version (GET /v1/conversations/:id/picture?v=); absent: initials. */
  picture: z.string().optional(),
  members: z.array(Member),
  lastSeq: z.number().int().min(0),
  lastTs: z.number(),
  /** The last message: its text (empty for an attachment-only message), or `deleted`; or the last
   *  call if it came after (`call`, `text` empty, `author` the caller): a missed call shows in the list. */
  preview: z.object({
    author: UserId, text: z.string(), deleted: z.literal(true).optional(),
    call: z.object({ media: z.enum(["audio", "video"]), outcome: z.enum(["completed", "missed", "declined"]) }).optional(),
    /** When the last message was sent (edits and reactions move `lastTs`, not this). Absent in rows stored before it. */
    ts: z.number().optional(),
  }).nullable(),
  unread: z.number().int().min(0),
  /** Unread messages (of `unread`) that mention this member or "@all"/"@here"; 0 once read.
   *  Absent in rows stored before mentions existed (read it as 0). */
  mentions: z.number().int().min(0).optional(),
  /** Unread replies in the threads this member follows here (protocol/threads.ts); absent: 0. */
  threads: z.number().int().min(0).optional(),
  readSeq: z.number().int().min(0),
  /** Members (of `members`) who have taken part here: written, or read at least once. Only they
   *  show their presence to the others (docs/api.md, presence). Absent in rows stored before it. */
  engaged: z.array(UserId).optional(),
});
export type ConversationSummary = z.infer<typeof ConversationSummary>;

export const PresenceStatus = z.enum(["online", "away", "offline"]);
export type PresenceStatus = z.infer<typeof PresenceStatus>;
/** `profile`: set (to when) only when the user's profile (display name, status, avatar) just
 *  changed, so clients showing it re-read it (GET /v1/users/profiles) without waiting. */
export const Presence = z.object({ userId: UserId, status: PresenceStatus, lastSeen: z.number().nullable(), profile: z.number().optional() });
export type Presence = z.infer<typeof Presence>;
