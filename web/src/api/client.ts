import {
  Attachment,
  AuthResponse,
  ConversationEvent,
  ConversationInfo,
  ConversationSummary,
  IceServers,
  MessageEvent,
  Presence,
  PublicUser,
  AdminAction,
  TemporaryPassword,
} from "../../../protocol/index.ts";
import { z } from "zod";
import { ApiError, Http, NetworkError, toApiError } from "./http.ts";

/** Every REST route of docs/api.md the client uses, with responses checked against the protocol schemas. */
const HistoryPage = z.object({ events: z.array(ConversationEvent), hasMore: z.boolean() });
const Pins = z.object({ pins: z.array(MessageEvent) });
const SendResult = z.object({ seq: z.number(), ts: z.number(), duplicate: z.boolean().optional() });
const SearchHits = z.object({
  hits: z.array(z.object({ conversationId: z.string(), event: MessageEvent })),
  /** The words the server matched (for highlighting), and the next page's cursor. */
  terms: z.array(z.string()).default([]),
  next: z.string().optional(),
});
export type SearchPage = z.infer<typeof SearchHits>;
const ThreadPage = z.object({
  root: MessageEvent,
  replies: z.array(MessageEvent),
  hasMore: z.boolean(),
  followers: z.array(z.string()),
  following: z.boolean(),
  readSeq: z.number(),
});
export type ThreadPage = z.infer<typeof ThreadPage>;
const AdminUser = PublicUser.extend({
  lockedUntil: z.number().nullable().optional(),
  failedLogins: z.number().optional(),
  state: z.enum(["active", "deactivated", "deleted"]).optional(),
  temporaryPasswordUntil: z.number().optional(),
});
const AuditPage = z.object({ actions: z.array(AdminAction), hasMore: z.boolean() });
export type AuditPage = z.infer<typeof AuditPage>;
export type AdminUser = z.infer<typeof AdminUser>;
const Directory = z.object({ users: z.array(PublicUser), next: z.string().nullable() });
export type SearchHit = z.infer<typeof SearchHits>["hits"][number];
export type IceConfig = z.infer<typeof IceServers>;

export class Api {
  constructor(readonly http: Http) {}

  // ---- accounts
  async register(username: string, password: string) {
    return AuthResponse.parse(await this.http.json("POST", "/v1/auth/register", { body: { username, password }, auth: false }));
  }
  /** `newPassword`: only after `password_change_required` (a temporary password an admin set). */
  async login(username: string, password: string, newPassword?: string) {
    return AuthResponse.parse(await this.http.json("POST", "/v1/auth/login", { body: { username, password, ...(newPassword ? { newPassword } : {}) }, auth: false }));
  }
  /** Every session ends, this one too: the answer is the new session. */
  async changePassword(currentPassword: string, newPassword: string) {
    return AuthResponse.parse(await this.http.json("POST", "/v1/me/password", { body: { currentPassword, newPassword } }));
  }
  async deleteAccount(password: string) {
    await this.http.json("DELETE", "/v1/me", { body: { password } });
  }
  async logout(refreshToken: string) {
    await this.http.json("POST", "/v1/auth/logout", { body: { refreshToken }, auth: false });
  }
  async me() {
    return PublicUser.parse(await this.http.json("GET", "/v1/me"));
  }
  async searchUsers(q: string) {
    return z.object({ users: z.array(PublicUser) }).parse(await this.http.json("GET", "/v1/users", { query: { q } })).users;
  }
  // ---- people (docs/api.md "People")
  async profiles(ids: string[]) {
    return z.object({ users: z.array(PublicUser) }).parse(await this.http.json("GET", "/v1/users/profiles", { query: { ids: ids.join(",") } })).users;
  }
  /** Any part of a username or display name; `after` is the previous page's `next`. */
  async directory(q: string, after?: string, limit = 20) {
    return Directory.parse(await this.http.json("GET", "/v1/users/directory", { query: { q, after, limit } }));
  }
  async updateProfile(body: { displayName?: string | null; status?: string | null }) {
    return PublicUser.parse(await this.http.json("PATCH", "/v1/me/profile", { body }));
  }
  async uploadAvatar(file: Blob) {
    return PublicUser.parse(await (await this.http.send("PUT", "/v1/me/avatar", { raw: file, contentType: file.type || "application/octet-stream" })).json());
  }
  async removeAvatar() {
    return PublicUser.parse(await this.http.json("DELETE", "/v1/me/avatar"));
  }
  async avatarBlob(userId: string, version: string, size: 64 | 256): Promise<Blob> {
    return (await this.http.send("GET", `/v1/users/${encodeURIComponent(userId)}/avatar`, { query: { size, v: version } })).blob();
  }
  async wsTicket(): Promise<string> {
    return z.object({ ticket: z.string() }).parse(await this.http.json("POST", "/v1/ws-ticket")).ticket;
  }

  // ---- conversations
  async conversations() {
    return z.object({ conversations: z.array(ConversationSummary) }).parse(await this.http.json("GET", "/v1/conversations")).conversations;
  }
  async createDirect(username: string) {
    return ConversationInfo.parse(await this.http.json("POST", "/v1/conversations/direct", { body: { username } }));
  }
  async createGroup(title: string, members: string[]) {
    return ConversationInfo.parse(await this.http.json("POST", "/v1/conversations", { body: { title, members } }));
  }
  async conversation(id: string) {
    return ConversationInfo.parse(await this.http.json("GET", `/v1/conversations/${id}`));
  }
  async rename(id: string, title: string) {
    await this.http.json("PATCH", `/v1/conversations/${id}`, { body: { title } });
  }
  /** Group admins: the description ("" removes it), the picture (cropped and resized by the server). */
  async setGroupDescription(id: string, description: string) {
    await this.http.json("PATCH", `/v1/conversations/${id}/description`, { body: { description } });
  }
  async uploadGroupPicture(id: string, file: Blob) {
    await this.http.send("PUT", `/v1/conversations/${id}/picture`, { raw: file, contentType: file.type || "application/octet-stream" });
  }
  async removeGroupPicture(id: string) {
    await this.http.json("DELETE", `/v1/conversations/${id}/picture`);
  }
  async groupPictureBlob(id: string, version: string, size: 64 | 256): Promise<Blob> {
    return (await this.http.send("GET", `/v1/conversations/${id}/picture`, { query: { size, v: version } })).blob();
  }
  async addMember(id: string, username: string) {
    await this.http.json("POST", `/v1/conversations/${id}/members`, { body: { username } });
  }
  async setRole(id: string, userId: string, role: "admin" | "member") {
    await this.http.json("PATCH", `/v1/conversations/${id}/members/${encodeURIComponent(userId)}`, { body: { role } });
  }
  async removeMember(id: string, userId: string) {
    await this.http.json("DELETE", `/v1/conversations/${id}/members/${encodeURIComponent(userId)}`);
  }
  async history(id: string, before?: number, limit = 50) {
    return HistoryPage.parse(await this.http.json("GET", `/v1/conversations/${id}/messages`, { query: { before, limit } }));
  }
  async sendMessage(id: string, body: { clientId: string; text: string; replyTo?: number; threadRoot?: number; attachments?: string[]; mentions?: string[] }) {
    return SendResult.parse(await this.http.json("POST", `/v1/conversations/${id}/messages`, { body }));
  }
  /** The conversation's pinned messages, newest first. */
  async pins(id: string) {
    return Pins.parse(await this.http.json("GET", `/v1/conversations/${id}/pins`)).pins;
  }
  async deleteMessage(id: string, seq: number) {
    await this.http.json("DELETE", `/v1/conversations/${id}/messages/${seq}`);
  }
  /** One page of hits (30), newest first; `cursor` is the previous page's `next`. Dates in `q` are in this browser's time zone. */
  async search(q: string, cursor?: string, conversationId?: string): Promise<SearchPage> {
    const tz = new Date().getTimezoneOffset();
    return SearchHits.parse(await this.http.json("GET", "/v1/search", { query: { q, conversationId, limit: 30, cursor, tz } }));
  }

  // ---- threads (protocol/threads.ts)
  async thread(id: string, root: number, after?: number) {
    return ThreadPage.parse(await this.http.json("GET", `/v1/conversations/${id}/threads/${root}`, { query: { after, limit: 200 } }));
  }
  async followThread(id: string, root: number, on: boolean) {
    await this.http.json("PUT", `/v1/conversations/${id}/threads/${root}/follow`, { body: { on } });
  }
  async readThread(id: string, root: number, seq: number) {
    await this.http.json("POST", `/v1/conversations/${id}/threads/${root}/read`, { body: { seq } });
  }

  // ---- attachments, calls, presence
  /**
   * docs/api.md documents GET /v1/attachments/:id; the Bun edge serves
   * GET /v1/conversations/:cid/attachments/:id. Try the documented route, fall back on 404.
   */
  async attachmentBlob(conversationId: string, id: string): Promise<Blob> {
    const aid = encodeURIComponent(id);
    try {
      return await (await this.http.send("GET", `/v1/attachments/${aid}`)).blob();
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e;
      return (await this.http.send("GET", `/v1/conversations/${encodeURIComponent(conversationId)}/attachments/${aid}`)).blob();
    }
  }
  async ice(): Promise<IceConfig> {
    return IceServers.parse(await this.http.json("GET", "/v1/calls/ice"));
  }
  async presence(userIds: string[]) {
    return z.object({ presence: z.array(Presence) }).parse(await this.http.json("GET", "/v1/presence", { query: { userIds: userIds.join(",") } })).presence;
  }

  // ---- admin
  async adminUsers() {
    return z.object({ users: z.array(AdminUser) }).parse(await this.http.json("GET", "/v1/admin/users")).users;
  }
  async lock(userId: string, minutes?: number) {
    await this.http.json("POST", `/v1/admin/users/${encodeURIComponent(userId)}/lock`, { body: minutes ? { minutes } : {} });
  }
  async unlock(userId: string) {
    await this.http.json("POST", `/v1/admin/users/${encodeURIComponent(userId)}/unlock`, { body: {} });
  }
  async deactivate(userId: string) {
    await this.http.json("POST", `/v1/admin/users/${encodeURIComponent(userId)}/deactivate`, { body: {} });
  }
  async reactivate(userId: string) {
    await this.http.json("POST", `/v1/admin/users/${encodeURIComponent(userId)}/reactivate`, { body: {} });
  }
  async resetPassword(userId: string) {
    return TemporaryPassword.parse(await this.http.json("POST", `/v1/admin/users/${encodeURIComponent(userId)}/reset-password`, { body: {} }));
  }
  async audit(before?: number, limit = 20) {
    return AuditPage.parse(await this.http.json("GET", "/v1/admin/audit", { query: { before, limit } }));
  }

  /**
   * Upload with progress. fetch cannot report upload progress, so this one uses XMLHttpRequest.
   * One refresh-and-retry on 401, like every other call.
   */
  async upload(conversationId: string, file: File, onProgress: (fraction: number) => void): Promise<Attachment> {
    const attempt = () =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open("POST", this.http.url("/v1/attachments", { conversationId, name: file.name || "file" }));
        for (const [k, v] of Object.entries(this.http.authHeader())) xhr.setRequestHeader(k, v);
        xhr.setRequestHeader("content-type", file.type || "application/octet-stream");
        xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
        xhr.onload = () => resolve({ status: xhr.status, body: xhr.responseText });
        xhr.onerror = () => reject(new NetworkError("upload failed"));
        xhr.send(file);
      });
    let r = await attempt();
    if (r.status === 401 && (await this.http.refresh())) r = await attempt();
    if (r.status < 200 || r.status >= 300) throw await toApiError(new Response(r.body, { status: r.status }));
    onProgress(1);
    return Attachment.parse(JSON.parse(r.body));
  }
}

export { ApiError, NetworkError };
