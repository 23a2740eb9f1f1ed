import { z } from "zod";
import {
  Base,
  ClientId,
  ConversationEvent,
  ConversationId,
  ConversationInfo,
  ConversationSummary,
  Emoji,
  Presence,
  PresenceStatus,
  Seq,
  UserId,
} from "./events.ts";
import { FlowControl, ReceivedFrame } from "./flow.ts";
import { Mentions } from "./mentions.ts";
import { NotifySettings } from "./notify.ts";
import { storableText } from "./storableText.ts";

/**
 * WebSocket frames. All frames are JSON objects with a `t` (type) field.
 *
 * Two sockets per client:
 *  - conversation socket: /v1/ws/conversations/:id?ticket=…&after=…&epoch=…
 *  - inbox socket:        /v1/ws/inbox?ticket=…
 * The ticket comes from POST /v1/ws-ticket (short-lived, bound to the user), so access tokens never
 * appear in a URL.
 */

// ---- Call signalling (relayed, never stored; a summary `call` event is logged when a call ends) ----
/** `state`: the sender's camera went off or on (`camera`), so the other side shows their avatar
 *  instead of black frames (a disabled track still sends frames). */
export const CallAction = z.enum(["ring", "accept", "decline", "hangup", "offer", "answer", "ice", "state"]);
export const CallSignal = z.object({
  t: z.literal("call"),
  /** Stored in the `call` event logged when the call ends. */
  callId: storableText("callId").min(8).max(64),
  action: CallAction,
  media: z.enum(["audio", "video"]).optional(),
  /** For `state`: whether the sender's camera is on. */
  camera: z.boolean().optional(),
  /** SDP for offer/answer. */
  sdp: z.string().max(20_000).optional(),
  /** ICE candidate (RTCIceCandidateInit), relayed as-is. */
  candidate: z
    .object({
      candidate: z.string().max(2000),
      sdpMid: z.string().max(64).nullable().optional(),
      sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
    })
    .optional(),
});
export type CallSignal = z.infer<typeof CallSignal>;

// ---- Client → conversation actor ----
export const SendFrame = z.object({
  t: z.literal("send"),
  clientId: ClientId,
  base: Base.optional(),
  text: storableText("text"),
  replyTo: Seq.optional(),
  /** A reply in the thread of this root message (protocol/threads.ts). */
  threadRoot: Seq.optional(),
  /** Attachment ids from POST /v1/attachments (uploaded to this conversation). */
  attachments: z.array(z.string().min(1).max(64)).optional(),
  /** Member ids (and "@all"/"@here" in groups, admins only) it mentions: protocol/mentions.ts. */
  mentions: Mentions.optional(),
});
export const EditFrame = z.object({ t: z.literal("edit"), clientId: ClientId, base: Base.optional(), target: Seq, text: storableText("text") });
export const DeleteFrame = z.object({ t: z.literal("delete"), clientId: ClientId, base: Base.optional(), target: Seq });
export const ReactFrame = z.object({ t: z.literal("react"), clientId: ClientId, base: Base.optional(), target: Seq, emoji: Emoji, on: z.boolean() });
export const PinFrame = z.object({ t: z.literal("pin"), clientId: ClientId, base: Base.optional(), target: Seq, on: z.boolean() });
export const TypingFrame = z.object({ t: z.literal("typing"), on: z.boolean().default(true) });
export const ReadFrame = z.object({ t: z.literal("read"), seq: z.number().int().min(0) });
export const HistoryFrame = z.object({
  t: z.literal("history"),
  /** Page strictly before this seq; omit for the newest page. */
  before: Seq.optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
export const PingFrame = z.object({ t: z.literal("ping") });

export const ConversationClientFrame = z.discriminatedUnion("t", [
  SendFrame,
  EditFrame,
  DeleteFrame,
  ReactFrame,
  PinFrame,
  TypingFrame,
  ReadFrame,
  HistoryFrame,
  PingFrame,
  CallSignal,
  ReceivedFrame,
]);
export type ConversationClientFrame = z.infer<typeof ConversationClientFrame>;
export type SendFrame = z.infer<typeof SendFrame>;

// ---- Client → inbox actor ----
export const InboxClientFrame = z.discriminatedUnion("t", [
  z.object({ t: z.literal("presence"), status: PresenceStatus.exclude(["offline"]) }),
  PingFrame,
  ReceivedFrame,
]);
export type InboxClientFrame = z.infer<typeof InboxClientFrame>;

// ---- Server → client (both sockets) ----
export const ServerFrame = z.discriminatedUnion("t", [
  /** First frame on a conversation socket. `recovered: true` ⇒ `events` is exactly everything after
   *  the client's `after`; `false` ⇒ `events` is the newest page and the client must reset its window. */
  z.object({
    t: z.literal("welcome"),
    conversation: ConversationInfo,
    recovered: z.boolean(),
    events: z.array(ConversationEvent),
    hasMore: z.boolean(),
    typing: z.array(UserId),
    /** Present when the host needs flow-control acks from this client (protocol/flow.ts). */
    flow: FlowControl.optional(),
    /** Limits a client can check before sending (longer text is refused with payload_too_large). */
    limits: z.object({ maxTextLength: z.number().int().min(1) }).optional(),
    /** Present (true) while the conversation's storage is unreachable: history and resume work,
     *  writes are refused with the retryable `storage_unavailable` (a `storage` frame ends it). */
    readOnly: z.boolean().optional(),
  }),
  /** A durable event. The sender's sockets get theirs too: an event whose `clientId` and `author`
   *  are yours is the ack of that operation (seq and ts included). */
  z.object({ t: z.literal("event"), e: ConversationEvent }),
  /** Several durable events committed together, in seq order: the same as that many `event` frames. */
  z.object({ t: z.literal("events"), es: z.array(ConversationEvent).min(2) }),
  /** Only for a resend of a clientId the conversation already stored (no new event is made): the
   *  original seq and ts, with `duplicate: true`. */
  z.object({ t: z.literal("ack"), clientId: z.string(), seq: Seq, ts: z.number(), duplicate: z.boolean().optional() }),
  z.object({ t: z.literal("typing"), userId: UserId, on: z.boolean() }),
  z.object({ t: z.literal("read"), userId: UserId, seq: z.number().int().min(0) }),
  z.object({ t: z.literal("history"), before: Seq.nullable(), events: z.array(ConversationEvent), hasMore: z.boolean() }),
  z.object({
    t: z.literal("call"),
    from: UserId,
    conversationId: ConversationId,
    callId: z.string(),
    action: CallAction,
    media: z.enum(["audio", "video"]).optional(),
    camera: z.boolean().optional(),
    sdp: z.string().optional(),
    candidate: CallSignal.shape.candidate,
  }),
  z.object({ t: z.literal("pong"), ts: z.number() }),
  /** The conversation's storage became unreachable (`readOnly: true`: writes are refused with
   *  `storage_unavailable`, keep them queued) or is back (`false`: send what was queued). */
  z.object({ t: z.literal("storage"), readOnly: z.boolean() }),
  /** `retryAfter` (seconds) comes with `rate_limited`. */
  z.object({ t: z.literal("error"), code: z.string(), message: z.string(), clientId: z.string().optional(), retryAfter: z.number().min(0).optional() }),
  // inbox socket
  z.object({
    t: z.literal("inbox"),
    conversations: z.array(ConversationSummary),
    presence: z.array(Presence),
    /** As on the welcome: the host needs flow-control acks (protocol/flow.ts). */
    flow: FlowControl.optional(),
    /** The user's notification settings (protocol/notify.ts); absent from hosts before them. */
    notify: NotifySettings.optional(),
  }),
  z.object({ t: z.literal("conv"), c: ConversationSummary }),
  /** The notification settings changed (on any device): replace the copy. */
  z.object({ t: z.literal("notify"), settings: NotifySettings }),
  z.object({ t: z.literal("removed"), conversationId: ConversationId }),
  z.object({ t: z.literal("presence"), p: Presence }),
]);
export type ServerFrame = z.infer<typeof ServerFrame>;
export type ServerFrameOf<T extends ServerFrame["t"]> = Extract<ServerFrame, { t: T }>;

/** Query string of a conversation socket URL. */
export const ResumeQuery = z.object({
  ticket: z.string().min(10),
  after: z.coerce.number().int().min(0).optional(),
  epoch: z.string().max(64).optional(),
});
