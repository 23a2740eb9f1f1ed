/** In-memory state of a conversation actor, shared by the actor and its commit pipeline. */
import { NexusError, type CallEvent, type ConversationInfo, type GroupProfile, type Member, type MessageEvent } from "../../protocol/index.ts";
import type { Connection } from "../ports.ts";
import type { Draft, MemberState } from "./drafts.ts";

export interface State {
  type: "direct" | "group";
  title: string;
  /** A group's picture and description (groupProfile.ts); {} when unset. */
  profile: GroupProfile;
  epoch: string;
  members: Map<string, MemberState>;
  lastSeq: number;
  lastTs: number;
  /** What the list previews: the last message, or the last call when it came after it. */
  lastMessage: MessageEvent | CallEvent | null;
  unread: Map<string, number>;
  /** Per member: how many of their unread messages mention them (mentions.ts). */
  mentions: Map<string, number>;
  /** Per follower: unread replies in the threads they follow (threads.ts); set once loaded. */
  threads?: Map<string, number>;
}

/** What members and the REST API see of the state: members, roles and read cursors. */
export function infoOf(id: string, s: State): ConversationInfo {
  const members: Member[] = [];
  const reads: Record<string, number> = {};
  for (const m of s.members.values()) {
    members.push({ userId: m.userId, username: m.username, role: m.role });
    reads[m.userId] = m.readSeq;
  }
  return { id, type: s.type, title: s.title, ...s.profile, members, epoch: s.epoch, lastSeq: s.lastSeq, reads };
}

export interface OpResult {
  seq: number;
  ts: number;
  duplicate: boolean;
}

/** A draft waiting for its commit, and who to answer. */
export interface Op {
  draft: Draft;
  conn?: Connection;
  /** The newest seq the client had seen when it first sent this op (bounds the duplicate check). */
  base?: number;
  resolve(r: OpResult): void;
  reject(e: unknown): void;
  /** Resends of the same clientId that arrived while this op was queued or committing: answered
   *  with its result (as duplicates), or tried again if it fails. */
  twins?: Op[];
  /** Its clientId's place in the window while it commits (clientIdWindow.ts). */
  entry?: ClientIdEntry;
  /** Answered (resolved or rejected): later answers are ignored. */
  settled?: boolean;
  /** Waiting as a twin of this op. */
  twinOf?: Op;
}

/** An op that could not be stored through no fault of its own: the client retries the same clientId. */
export const storageUnavailable = () => new NexusError("storage_unavailable", "could not store the event; retry with the same clientId");

export const idemKey = (author: string, clientId: string) => author + "\u0000" + clientId;

/** A clientId in the window: stored (seq > 0), or still committing (seq 0, with its op, whose
 *  resends become its twins). One map holds both, so a send costs few lookups. */
export interface ClientIdEntry {
  author: string;
  clientId: string;
  seq: number;
  ts: number;
  op: Op | null;
}
