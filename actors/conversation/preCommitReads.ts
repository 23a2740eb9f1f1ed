/**
 * What a batch must read before it is built (commitPipeline.ts `prepare`): the messages that edits,
 * deletes, reactions, pins and thread replies target (from the recent window when it has them), and the attachments a
 * message references (uploaded to this conversation). A failed read fails the ops, not the actor.
 */
import type { AttachmentRef } from "../../protocol/index.ts";
import type { SqlConversationStore } from "../storage/sqlConversationStore.ts";
import type { Working } from "./drafts.ts";
import type { RecentMessages } from "./recentMessages.ts";
import type { Op } from "./state.ts";

export async function loadTargets(store: SqlConversationStore, recent: RecentMessages, ops: Op[], w: Working): Promise<void> {
  for (const { draft: d } of ops) {
    // A thread reply reads its root (threads.ts checks it and counts the reply on it).
    const target = d.kind === "message" ? d.threadRoot : d.kind === "edit" || d.kind === "delete" || d.kind === "reaction" || d.kind === "pin" ? d.target : undefined;
    if (target === undefined || w.messages.has(target)) continue;
    const m = recent.get(target) ?? (await store.getMessage(target));
    if (m) w.messages.set(target, structuredClone(m));
  }
}

export async function loadAttachments(store: SqlConversationStore, ops: Op[]): Promise<Map<string, AttachmentRef> | null> {
  let ids: Set<string> | null = null;
  for (const { draft: d } of ops) if (d.kind === "message" && d.attachments) for (const id of d.attachments) (ids ??= new Set()).add(id);
  if (!ids) return null;
  const found = new Map<string, AttachmentRef>();
  // An upload left unreferenced past the window is the sweep's (attachmentBlobs.ts): as if unknown.
  const policy = store.attachmentBlobs;
  const oldest = policy.now() - policy.referenceWindowMs;
  for (const a of await store.attachments([...ids]))
    if (a.createdAt >= oldest) found.set(a.id, { id: a.id, name: a.name, type: a.type, size: a.size });
  return found;
}
