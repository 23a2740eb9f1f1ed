/**
 * A group's picture and description (protocol/groupProfile.ts): the rule for a `profile` draft,
 * kept out of drafts.ts and the actor so each stays one concept. The group's profile lives in
 * memory (State.profile) and in the log only: the newest `profile` event is what a load reads
 * (storage/groupProfileRows.ts), so a change commits atomically with its event and needs no column.
 */
import { GroupProfileChange, NexusError, type ConversationEvent, type GroupProfile } from "../../protocol/index.ts";

export type ProfileDraft = { kind: "profile"; author: string; change: GroupProfileChange };

/** The draft for a change, checked at the actor's door: an RPC caller is an outside input too. */
export function profileDraft(author: string, change: unknown): ProfileDraft {
  const r = GroupProfileChange.safeParse(change);
  if (!r.success) throw new NexusError("bad_request", r.error.issues[0]?.message ?? "invalid group profile change");
  return { kind: "profile", author, change: r.data };
}

/** Applies the change to the batch's working profile (group admins only); the event carries the
 *  whole profile after it. A change that changes nothing is refused, like pinning twice. */
export function applyProfile(
  w: { type: "direct" | "group"; profile: GroupProfile },
  d: ProfileDraft,
  base: { seq: number; ts: number; author: string },
  byGroupAdmin: boolean,
): ConversationEvent {
  if (w.type !== "group") throw new NexusError("bad_request", "direct conversations have no picture or description");
  if (!byGroupAdmin) throw new NexusError("forbidden", "only group admins may change the group picture or description");
  const changed = "description" in d.change ? "description" : "picture";
  const value = "description" in d.change ? d.change.description || undefined : d.change.picture ?? undefined;
  if (w.profile[changed] === value) throw new NexusError("conflict", value === undefined ? `the group has no ${changed}` : `the group has this ${changed} already`);
  const next: GroupProfile = { ...w.profile };
  if (value === undefined) delete next[changed];
  else next[changed] = value;
  w.profile = next;
  return { ...base, kind: "profile", changed, ...next };
}
