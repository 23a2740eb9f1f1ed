/**
 * What a caller asks the conversation to append, and the rules that turn it into a logged event.
 * `applyDraft` runs inside the actor's serialized flush, against a working copy of the state, so
 * the rules see every earlier event of the same batch (two reactions in one batch compose).
 */
import { NexusError, type AttachmentRef, type ConversationEvent, type GroupProfile, type Member, type MessageEvent, type Role } from "../../protocol/index.ts";
import type { MessagePatch } from "../storage/sqlConversationStore.ts";
import { checkMentions } from "./mentionRules.ts";
import { threadReply } from "./threadRules.ts";
import { applyProfile, type ProfileDraft } from "./groupProfile.ts";

export type Draft =
  | { kind: "message"; author: string; clientId: string; text: string; replyTo?: number; threadRoot?: number; attachments?: string[]; mentions?: string[] }
  | { kind: "edit"; author: string; clientId: string; target: number; text: string }
  | { kind: "delete"; author: string; clientId: string; target: number; accountAdmin: boolean }
  | { kind: "reaction"; author: string; clientId: string; target: number; emoji: string; on: boolean }
  | { kind: "pin"; author: string; clientId: string; target: number; on: boolean }
  | { kind: "member"; author: string; userId: string; username: string; action: "add" | "remove" | "leave" | "role"; role?: Role }
  | { kind: "rename"; author: string; title: string }
  | ProfileDraft
  | { kind: "call"; author: string; callId: string; media: "audio" | "video"; outcome: "completed" | "missed" | "declined"; durationMs: number };

export interface MemberState extends Member {
  readSeq: number;
}

/** The part of actor state a batch may change, copied on first write. */
export interface Working {
  type: "direct" | "group";
  title: string;
  /** A group's picture and description (groupProfile.ts). */
  profile: GroupProfile;
  members: Map<string, MemberState>;
  /** Target messages loaded for this batch, mutated copies. */
  messages: Map<number, MessageEvent>;
  /** Attachments referenced by messages of this batch (uploaded to this conversation). */
  attachments: Map<string, AttachmentRef>;
  maxGroupMembers: number;
}

export interface Applied {
  event: ConversationEvent;
  patch?: MessagePatch;
}

const isGroupAdmin = (w: Working, userId: string) => w.type === "group" && w.members.get(userId)?.role === "admin";

const adminCount = (w: Working) => {
  let n = 0;
  for (const m of w.members.values()) if (m.role === "admin") n++;
  return n;
};

function target(w: Working, seq: number): MessageEvent {
  const m = w.messages.get(seq);
  if (!m) throw new NexusError("not_found", `no message ${seq}`);
  if (m.deleted) throw new NexusError("conflict", `message ${seq} is deleted`);
  return m;
}

export function applyDraft(w: Working, d: Draft, seq: number, ts: number): Applied {
  const base = { seq, ts, author: d.author };
  switch (d.kind) {
    case "message": {
      const attachments = d.attachments?.map((id) => {
        const a = w.attachments.get(id);
        if (!a) throw new NexusError("bad_request", `unknown attachment ${id} (upload it to this conversation first; uploads not sent in time expire)`);
        return a;
      });
      if (d.replyTo !== undefined && (d.replyTo >= seq || d.replyTo < 1)) throw new NexusError("bad_request", "replyTo must be an earlier seq");
      // Checked against the members as of this event (a member removed earlier in the batch is out).
      const mentions = checkMentions(w.type, w.members, d.author, d.mentions);
      const root = d.threadRoot === undefined ? undefined : threadReply(w.messages, d.threadRoot, seq, ts);
      // Built field by field (the hot path): one object per message, in the wire order.
      const event: MessageEvent = { seq, ts, author: d.author, kind: "message", clientId: d.clientId, text: d.text };
      if (d.replyTo !== undefined) event.replyTo = d.replyTo;
      if (d.threadRoot !== undefined) event.threadRoot = d.threadRoot;
      if (attachments?.length) event.attachments = attachments;
      if (mentions) event.mentions = mentions;
      return { event, patch: root };
    }
    case "edit": {
      const m = target(w, d.target);
      if (m.author !== d.author) throw new NexusError("forbidden", "only the author may edit a message");
      m.text = d.text;
      m.editedTs = ts;
      return { event: { ...base, kind: "edit", clientId: d.clientId, target: d.target, text: d.text }, patch: { seq: d.target, text: d.text, editedTs: ts } };
    }
    case "delete": {
      const m = target(w, d.target);
      if (m.author !== d.author && !isGroupAdmin(w, d.author) && !d.accountAdmin)
        throw new NexusError("forbidden", "only the author or an admin may delete a message");
      const attachmentIds = m.attachments?.map((a) => a.id);
      m.deleted = true;
      m.text = "";
      delete m.attachments;
      delete m.reactions;
      delete m.pinned; // storage drops the body (pin included): a deleted message is unpinned
      return { event: { ...base, kind: "delete", clientId: d.clientId, target: d.target },
        patch: { seq: d.target, deleted: true, ...(attachmentIds?.length ? { attachmentIds } : {}) } };
    }
    case "reaction": {
      const m = target(w, d.target);
      const reactions = { ...(m.reactions ?? {}) };
      const users = new Set(reactions[d.emoji] ?? []);
      if (d.on) {
        if (!users.has(d.author) && Object.keys(reactions).length >= 50 && !reactions[d.emoji])
          throw new NexusError("bad_request", "too many different reactions");
        users.add(d.author);
      } else users.delete(d.author);
      if (users.size) reactions[d.emoji] = [...users];
      else delete reactions[d.emoji];
      m.reactions = reactions;
      return { event: { ...base, kind: "reaction", clientId: d.clientId, target: d.target, emoji: d.emoji, on: d.on }, patch: { seq: d.target, reactions } };
    }
    case "pin": {
      const m = target(w, d.target);
      if (w.type === "group" && !isGroupAdmin(w, d.author)) throw new NexusError("forbidden", "only group admins may pin in a group");
      // Pinning twice (or unpinning what is not pinned) would log an event that changes nothing.
      if (!!m.pinned === d.on) throw new NexusError("conflict", d.on ? `message ${d.target} is pinned already` : `message ${d.target} is not pinned`);
      const pinned = d.on ? { by: d.author, ts } : null;
      if (pinned) m.pinned = pinned;
      else delete m.pinned;
      return { event: { ...base, kind: "pin", clientId: d.clientId, target: d.target, on: d.on }, patch: { seq: d.target, pinned } };
    }
    case "member":
      return { event: applyMember(w, d, base) };
    case "rename":
      if (w.type !== "group") throw new NexusError("bad_request", "direct conversations have no title");
      if (!isGroupAdmin(w, d.author)) throw new NexusError("forbidden", "only group admins may rename");
      w.title = d.title;
      return { event: { ...base, kind: "rename", title: d.title } };
    case "profile":
      return { event: applyProfile(w, d, base, isGroupAdmin(w, d.author)) };
    case "call":
      return { event: { ...base, kind: "call", callId: d.callId, media: d.media, outcome: d.outcome, durationMs: d.durationMs } };
  }
}

function applyMember(w: Working, d: Extract<Draft, { kind: "member" }>, base: { seq: number; ts: number; author: string }): ConversationEvent {
  if (w.type !== "group") throw new NexusError("bad_request", "direct conversations have fixed members");
  const self = d.userId === d.author;
  const existing = w.members.get(d.userId);
  if (d.action === "add") {
    if (!isGroupAdmin(w, d.author)) throw new NexusError("forbidden", "only group admins may add members");
    if (existing) throw new NexusError("conflict", `${d.username} is already a member`);
    if (w.members.size >= w.maxGroupMembers) throw new NexusError("bad_request", "group is full");
    // A new member's cursor starts at their joining: earlier history is not "unread" for them.
    w.members.set(d.userId, { userId: d.userId, username: d.username, role: d.role ?? "member", readSeq: base.seq });
  } else if (d.action === "remove" || d.action === "leave") {
    if (!existing) throw new NexusError("not_found", "not a member");
    if (!self && !isGroupAdmin(w, d.author)) throw new NexusError("forbidden", "only group admins may remove members");
    if (existing.role === "admin" && w.members.size > 1 && adminCount(w) === 1)
      throw new NexusError("conflict", "a group keeps at least one admin: make another member admin first");
    w.members.delete(d.userId);
  } else {
    if (!isGroupAdmin(w, d.author)) throw new NexusError("forbidden", "only group admins may change roles");
    if (!existing) throw new NexusError("not_found", "not a member");
    if (existing.role === "admin" && d.role === "member" && adminCount(w) === 1) throw new NexusError("conflict", "a group keeps at least one admin");
    w.members.set(d.userId, { ...existing, role: d.role ?? "member" });
  }
  return { ...base, kind: "member", userId: d.userId, username: existing?.username ?? d.username, action: d.action,
    ...(d.role && d.action !== "remove" && d.action !== "leave" ? { role: d.role } : {}) };
}
