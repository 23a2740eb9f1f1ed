/**
 * A conversation actor's state, from storage or from its creation: what the actor holds in memory
 * (members, the last message, each member's unread and mention counts), built in one place so the
 * actor file keeps only the operations.
 */
import { NexusError, type ConversationEvent, type Limits, type Member } from "../../protocol/index.ts";
import type { CreateConversation } from "../api.ts";
import type { Caller } from "../ports.ts";
import { emptyCommit, type Commit, type LoadedConversation, type SqlConversationStore } from "../storage/sqlConversationStore.ts";
import type { State } from "./state.ts";

/** Counts are read this many members at a time: a failover's new owner loads while clients wait
 *  (#16), yet a group of hundreds must not open hundreds of reads at once. */
const COUNT_CHUNK = 16;

/** The state of a stored conversation, with every member's unread and mention counts. */
export async function stateFromStore(store: SqlConversationStore, l: LoadedConversation): Promise<State> {
  const members = new Map(l.members.map((m) => [m.userId, { ...m }]));
  const unread = new Map<string, number>();
  const mentions = new Map<string, number>();
  for (let i = 0; i < l.members.length; i += COUNT_CHUNK) {
    const chunk = l.members.slice(i, i + COUNT_CHUNK);
    const counts = await Promise.all(chunk.map((m) => Promise.all([store.countUnread(m.userId, m.readSeq), store.countMentions(m.userId, m.readSeq)])));
    chunk.forEach((m, j) => {
      unread.set(m.userId, counts[j]![0]);
      mentions.set(m.userId, counts[j]![1]);
    });
  }
  return { type: l.type, title: l.title, profile: l.profile, epoch: l.epoch, members, lastSeq: l.lastSeq, lastTs: l.lastTs, lastMessage: l.lastMessage, unread, mentions };
}

/** The state from a replica while the primary is unreachable: reads only. Unread and mention
 *  counts are not read (the primary has them): no summary is sent before the reload, which happens
 *  before any write (storageOutage.ts). */
export function readOnlyState(l: LoadedConversation): State {
  const members = new Map(l.members.map((m) => [m.userId, { ...m }]));
  return { type: l.type, title: l.title, profile: l.profile, epoch: l.epoch, members, lastSeq: l.lastSeq, lastTs: l.lastTs, lastMessage: l.lastMessage,
    unread: new Map(), mentions: new Map() };
}

/** A new conversation, checked: its first commit (the `created` event) and the state after it. */
export function newConversation(caller: Caller, init: CreateConversation, limits: Limits, ts: number, epoch: string): { commit: Commit; state: State } {
  const unique = new Map(init.members.map((m) => [m.userId, m]));
  if (!unique.has(caller.userId)) throw new NexusError("bad_request", "the creator must be a member");
  if (init.type === "direct" && unique.size !== 2) throw new NexusError("bad_request", "a direct conversation has exactly two members");
  if (unique.size > limits.maxGroupMembers) throw new NexusError("bad_request", "too many members");
  const members: Member[] = [...unique.values()].map((m) => ({
    userId: m.userId, username: m.username, role: init.type === "group" && m.userId === caller.userId ? "admin" : "member" }));
  const title = init.type === "group" ? init.title : "";
  const created: ConversationEvent = { seq: 1, ts, author: caller.userId, kind: "created", type: init.type, title, members };
  const commit: Commit = { ...emptyCommit(), create: { type: init.type, title, epoch, ts }, events: [created], memberUpserts: members };
  const state: State = { type: init.type, title, profile: {}, epoch, lastSeq: 1, lastTs: ts, lastMessage: null, unread: new Map(members.map((m) => [m.userId, 0])),
    mentions: new Map(members.map((m) => [m.userId, 0])),
    members: new Map(members.map((m) => [m.userId, { ...m, readSeq: 0 }])) };
  return { commit, state };
}
