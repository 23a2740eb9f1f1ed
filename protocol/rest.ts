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
export const LoginBody = z.object({
  username: storableText("username").min(1).max(64),
  password: z.string().min(1).max(256),
  /** Only with a temporary password an admin set (error `password_change_required`): the new one. */
  newPassword: Password.optional(),
});
export const RefreshBody = z.object({ refreshToken: z.string().min(10).max(512) });
/** `everywhere`: end every session of the token's user (all devices), not only this one. */
export const LogoutBody = RefreshBody.extend({ everywhere: z.boolean().optional() });

export const PublicUser = z.object({
  id: z.string(),
  username: z.string(),
  role: z.enum(["admin", "user"]),
  createdAt: z.number(),
  /** The profile (PATCH /v1/me/profile); absent when never set. The username stays the handle. */
  displayName: z.string().optional(),
  status: z.string().optional(),
  /** Version of the current avatar (GET /v1/users/:id/avatar?v=); absent: initials. */
  avatar: z.string().optional(),
  /** The account was deleted: clients show "Deleted user", not its old name (profiles answers only). */
  deleted: z.literal(true).optional(),
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
  threadRoot: Seq.optional(),
  attachments: z.array(z.string().min(1).max(64)).optional(),
  mentions: Mentions.optional(),
});
/** POST /v1/conversations/:id/pins: pin (`on`, the default) or unpin message `target`. */
export const PinBody = z.object({ clientId: ClientId, base: Base.optional(), target: Seq, on: z.boolean().default(true) });
/** GET /v1/search: `q` in the search language of protocol/searchQuery.ts; `cursor` is the previous
 *  page's `next`; `tz` the caller's time zone for before:/after: (minutes, as Date.getTimezoneOffset). */
export const SearchQuery = z.object({
  q: z.string().trim().min(1).max(200),
  conversationId: ConversationId.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
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
});
/** PUT /v1/conversations/:id/threads/:seq/follow */
export const ThreadFollowBody = z.object({ on: z.boolean() });
/** POST /v1/conversations/:id/threads/:seq/read: the newest reply the member has seen. */
export const ThreadReadBody = z.object({ seq: Seq });
export const UserSearchQuery = z.object({ q: z.string().trim().min(1).max(32) });
/** GET /v1/users/directory: people whose username or display name contains `q` (any part),
 *  ordered by username, `limit` at a time; `after` is the previous page's `next`. */
export const DirectoryQuery = z.object({
  q: storableText("q").trim().max(64).default(""),
  after: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});
/** GET /v1/users/profiles?ids=a,b: the public profiles of up to 200 users. */
export const ProfilesQuery = z.object({
  ids: z
    .string()
    .transform((s) => s.split(",").filter(Boolean))
    .pipe(z.array(z.string().min(1).max(64)).min(1).max(200)),
});
/** A display name: 1-64 characters after trimming, no control characters, storable. */
export const DisplayName = storableText("displayName")
  .trim()
  .min(1, "display name: 1-64 characters")
  .max(64, "display name: 1-64 characters")
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "display name: no control characters");
/** A short status ("On holiday until Monday"): up to 80 characters, one line. */
export const StatusText = storableText("status")
  .trim()
  .max(80, "status: at most 80 characters")
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "status: one line, no control characters");
/** PATCH /v1/me/profile: null (or an empty status) clears a field; a field left out is kept. */
export const ProfileBody = z
  .object({ displayName: DisplayName.nullable().optional(), status: StatusText.nullable().optional() })
  .strict()
  .refine((b) => b.displayName !== undefined || b.status !== undefined, "give displayName or status");
export type ProfileBody = z.infer<typeof ProfileBody>;
/** GET /v1/users/:id/avatar?size=&v=: 256 px (default) or the 64 px variant. */
export const AvatarQuery = z.object({ size: z.enum(["64", "256"]).default("256"), v: z.string().max(64).optional() });
export const AvatarSizes = [256, 64] as const;
export const PresenceQuery = z.object({
  userIds: z
    .string()
    .transform((s) => s.split(",").filter(Boolean))
    .pipe(z.array(z.string().min(1).max(64)).min(1).max(200)),
});
export const LockBody = z.object({ minutes: z.number().int().min(1).max(525_600).optional() });
/** POST /v1/me/password: the current password and the new one (the sign-up policy applies). */
export const ChangePasswordBody = z.object({ currentPassword: z.string().min(1).max(256), newPassword: Password }).strict();
/** DELETE /v1/me: the password again, so a stolen access token cannot delete the account. */
export const DeleteAccountBody = z.object({ password: z.string().min(1).max(256) }).strict();
/** What the admin audit log records (docs/api.md "Admin"). */
export const AdminActionKind = z.enum(["lock", "unlock", "deactivate", "reactivate", "reset_password", "move_conversation", "move_inbox"]);
export type AdminActionKind = z.infer<typeof AdminActionKind>;
export const AdminAction = z.object({
  seq: z.number(),
  at: z.number(),
  admin: z.object({ id: z.string(), username: z.string() }),
  action: AdminActionKind,
  /** A user id (move_inbox: whose inbox), or a conversation id for move_conversation. */
  target: z.string(),
  targetName: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type AdminAction = z.infer<typeof AdminAction>;
/** GET /v1/admin/audit: `before` is the previous page's last seq. */
export const AuditQuery = z.object({
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
/** POST /v1/admin/users/:id/reset-password: shown once to the admin, who hands it to the user. */
export const TemporaryPassword = z.object({ temporaryPassword: z.string(), expiresAt: z.number() });
export const AttachmentUploadQuery = z.object({
  conversationId: ConversationId,
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
