import { z } from "zod";
import { AttachmentRef, Base, ClientId, ConversationId, Role, Seq } from "./events.ts";
import { Mentions } from "./mentions.ts";
import { storableText } from "./storableText.ts";

/** REST bodies and query strings under /v1. Responses are documented in docs/api.md. */
export const Username = z
  .string()
  .min(3)
  .max(32)
  .regex(/^[a-z0-9_.-]+$/, "username: 3-32 chars of a-z 0-9 _ . -");
export const Password = z.string().min(8, "password: at least 8 characters").max(256);

export const RegisterBody = z.object({ username: Username, password: Password });
// A name with NUL or an unpaired surrogate cannot exist (usernames are a-z 0-9 _ . -), and an unpaired
// surrogate cannot even be sent to a libSQL server (cluster mode answered 503): refused here.
export const LoginBody = z.object({ username: storableText("username").min(1).max(64), password: z.string().min(1).max(256) });
export const RefreshBody = z.object({ refreshToken: z.string().min(10).max(512) });
export const LogoutBody = RefreshBody;

export const PublicUser = z.object({
  id: z.string(),
  username: z.string(),
  role: z.enum(["admin", "user"]),
  createdAt: z.number(),
});
export type PublicUser = z.infer<typeof PublicUser>;

export const AuthResponse = z.object({
  user: PublicUser,
  accessToken: z.string(),
  accessExpiresIn: z.number(),
  refreshToken: z.string(),
});
export type AuthResponse = z.infer<typeof AuthResponse>;

export const CreateDirectBody = z.object({ username: Username });
export const CreateGroupBody = z.object({
  title: storableText("title").trim().min(1).max(100),
  members: z.array(Username).max(999).default([]),
  /** Makes creation idempotent: a retry with the same clientId returns the same group. */
  clientId: ClientId.optional(),
});
export const RenameBody = z.object({ title: storableText("title").trim().min(1).max(100) });
export const AddMemberBody = z.object({ username: Username, role: Role.default("member") });
export const SetRoleBody = z.object({ role: Role });
export const HistoryQuery = z.object({
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const RestSendBody = z.object({
  clientId: ClientId,
  base: Base.optional(),
  text: storableText("text"),
  replyTo: Seq.optional(),
  attachments: z.array(z.string().min(1).max(64)).optional(),
  mentions: Mentions.optional(),
});
/** POST /v1/conversations/:id/pins: pin (`on`, the default) or unpin message `target`. */
export const PinBody = z.object({ clientId: ClientId, base: Base.optional(), target: Seq, on: z.boolean().default(true) });
export const SearchQuery = z.object({
  q: z.string().trim().min(1).max(200),
  conversationId: ConversationId.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
  threadRoot: Seq.optional(),
export const UserSearchQuery = z.object({ q: z.string().trim().min(1).max(32) });
export const PresenceQuery = z.object({
  userIds: z
    .string()
    .transform((s) => s.split(",").filter(Boolean))
/** GET /v1/search: `q` in the search language of protocol/searchQuery.ts; `cursor` is the previous
 *  page's `next`; `tz` the caller's time zone for before:/after: (minutes, as Date.getTimezoneOffset). */
    .pipe(z.array(z.string().min(1).max(64)).min(1).max(200)),
});
export const LockBody = z.object({ minutes: z.number().int().min(1).max(525_600).optional() });
export const AttachmentUploadQuery = z.object({
  cursor: z.string().max(200).optional(),
  tz: z.coerce.number().int().min(-840).max(840).default(0),
});
/** A search page's `next`: the last hit's place in the order (ts, conversation id, seq), descending. */
export const SearchCursor = z.object({ ts: z.number(), c: ConversationId, s: Seq });
export type SearchCursor = z.infer<typeof SearchCursor>;
/** GET /v1/conversations/:id/threads/:seq: replies after `after`, oldest first. */
export const ThreadQuery = z.object({
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(100),
  conversationId: ConversationId,
/** PUT /v1/conversations/:id/threads/:seq/follow */
export const ThreadFollowBody = z.object({ on: z.boolean() });
/** POST /v1/conversations/:id/threads/:seq/read: the newest reply the member has seen. */
export const ThreadReadBody = z.object({ seq: Seq });
  name: storableText("name").min(1).max(255),
});
export const Attachment = AttachmentRef.extend({ conversationId: ConversationId, uploadedBy: z.string(), createdAt: z.number() });
export type Attachment = z.infer<typeof Attachment>;

/** POST /v1/conversations/:id/attachments/upload-url: what the client is about to upload. The type
 *  and size are signed into the URL; the server checks both again before recording the upload. The
 *  name is given at confirm (it is only stored then). */
export const AttachmentUploadUrlBody = z.object({
  type: z.string().trim().toLowerCase().pipe(z.string().min(1).max(255).regex(/^[\w.+-]+\/[\w.+-]+$/, "type must be type/subtype")),
  size: z.number().int().min(1),
});
/** PUT the bytes to `url` with exactly `headers`, before `expiresAt` (ms), then confirm. */
export const AttachmentUploadUrl = z.object({
  attachmentId: z.string(),
  method: z.literal("PUT"),
  url: z.string(),
  headers: z.record(z.string(), z.string()),
  expiresAt: z.number(),
});
export type AttachmentUploadUrl = z.infer<typeof AttachmentUploadUrl>;
/** POST /v1/conversations/:id/attachments/:attachmentId/confirm: the name to record (the type and
 *  size are read from what was stored). */
export const AttachmentConfirmBody = z.object({ name: storableText("name").min(1).max(255) });

export const IceServers = z.object({
  iceServers: z.array(z.object({ urls: z.array(z.string()), username: z.string().optional(), credential: z.string().optional() })),
  ttlSeconds: z.number(),
  /** RTCConfiguration.iceTransportPolicy the operator chose (ICE_TRANSPORT_POLICY); absent: "all". */
  iceTransportPolicy: z.enum(["all", "relay"]).optional(),
});

export const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) });
