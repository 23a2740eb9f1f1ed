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
  Member,
  Presence,
  Role,
} from "../protocol/index.ts";
import type { Caller } from "./ports.ts";

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
  attachments?: string[];
}

export interface HistoryPage {
  events: ConversationEvent[];
  hasMore: boolean;
}

export interface ConversationApi {
  /** Idempotent for direct conversations: creating an existing one returns it. */
  create(caller: Caller, init: CreateConversation): Promise<ConversationInfo>;
  info(caller: Caller): Promise<ConversationInfo>;
  rename(caller: Caller, title: string): Promise<{ seq: number }>;
  addMember(caller: Caller, member: Member): Promise<{ seq: number }>;
  /** Removing yourself is leaving. Removed members' sockets are closed at once. */
  removeMember(caller: Caller, userId: string): Promise<{ seq: number }>;
  setRole(caller: Caller, userId: string, role: Role): Promise<{ seq: number }>;
  history(caller: Caller, before: number | undefined, limit: number): Promise<HistoryPage>;
  send(caller: Caller, input: SendInput): Promise<{ seq: number; ts: number; duplicate: boolean }>;
  deleteMessage(caller: Caller, target: number, clientId: string): Promise<{ seq: number }>;
  search(caller: Caller, q: string, limit: number): Promise<ConversationEvent[]>;
  /** Record an uploaded blob as belonging to this conversation (uploader must be a member). */
  addAttachment(caller: Caller, ref: AttachmentRef): Promise<Attachment>;
  /** Metadata of an attachment, for members only. */
  attachment(caller: Caller, id: string): Promise<Attachment>;
  /** Account admins only: close `userId`'s sockets here at once (account locked). */
  kick(caller: Caller, userId: string): Promise<void>;
}

export interface InboxApi {
  list(caller: Caller): Promise<ConversationSummary[]>;
  presence(): Promise<Presence>;
  /** Account admins only: close this user's inbox sockets at once (account locked). */
  kick(caller: Caller): Promise<void>;
}

export interface ActorsClient {
  conversation(id: string): ConversationApi;
  inbox(userId: string): InboxApi;
}
