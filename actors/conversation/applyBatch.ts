/**
 * Applying a committed batch, in submission order (commitPipeline.ts settles batches one after
 * another): the actor's state follows what storage now holds, senders are answered (their own event
 * is their ack), and the batch goes out to the conversation's sockets as one frame.
 */
import { CloseCodes, type ConversationEvent } from "../../protocol/index.ts";
import type { ClientIdWindow } from "./clientIdWindow.ts";
import type { PipelineHost } from "./pipelineHost.ts";
import type { Working } from "./drafts.ts";
import type { RecentMessages } from "./recentMessages.ts";
import type { Op, OpResult, State } from "./state.ts";
import { countMentions } from "./mentionCounts.ts";

/** An op of a committed batch and the event it made. */
export interface Accepted {
  op: Op;
  event: ConversationEvent;
}

/** What applying needs from the pipeline. */
export interface Applier {
  host: PipelineHost;
  clientIds: ClientIdWindow;
  messages: RecentMessages;
  succeed(op: Op, r: OpResult): void;
}

export function applyBatch(a: Applier, s: State, accepted: Accepted[], w: Working, isPlain: boolean): void {
  if (accepted.length === 0) return;
  const removed: string[] = [];
  if (!isPlain) {
    for (const id of s.members.keys()) if (!w.members.has(id)) removed.push(id);
    // The working copy was taken before the commit; read cursors that moved meanwhile must not go back.
    if (w.members !== s.members)
      for (const [id, m] of w.members) m.readSeq = Math.max(m.readSeq, s.members.get(id)?.readSeq ?? 0);
    s.members = w.members;
    s.title = w.title;
    s.profile = w.profile;
    for (const [seq, m] of w.messages) a.messages.set(seq, m);
    for (const id of removed) s.unread.delete(id);
  }

  const encoded: string[] = new Array(accepted.length);
  const seqs: number[] = new Array(accepted.length);
  for (let i = 0; i < accepted.length; i++) {
    const { op, event } = accepted[i]!;
    s.lastSeq = event.seq;
    s.lastTs = event.ts;
    if (op.entry) {
      a.clientIds.committed(op.entry, event.seq, event.ts);
      op.entry = undefined;
    }
    if (event.kind === "message" && event.threadRoot !== undefined) {
      a.messages.set(event.seq, event); // a thread reply: not in the main timeline's preview, unread or cursor (threads.ts)
    } else if (event.kind === "message") {
      a.messages.set(event.seq, event);
      s.lastMessage = event;
      const m = s.members.get(event.author);
      if (m && m.readSeq < event.seq) {
        m.readSeq = event.seq;
        a.host.readMoved(event.author, event.seq);
      }
    } else if (event.kind === "call") {
      s.lastMessage = event;
    } else if (event.kind === "member" && event.action === "add") {
      s.unread.set(event.userId, 0); // counted from here on: messages earlier in this batch are before the join
    } else if (event.kind === "delete") {
      // A deleted message no longer counts as unread for those who had not read it (as countUnread agrees).
      const target = w.messages.get(event.target);
      if (target?.threadRoot === undefined) for (const [id, n] of s.unread)
        if (n > 0 && id !== target?.author && (s.members.get(id)?.readSeq ?? 0) < event.target) s.unread.set(id, n - 1);
      if (s.lastMessage?.seq === event.target) s.lastMessage = target ?? s.lastMessage;
    } else if (event.kind === "edit" && s.lastMessage?.seq === event.target) {
      s.lastMessage = w.messages.get(event.target) ?? s.lastMessage;
    }
    if (!isPlain && event.kind === "message" && event.threadRoot === undefined) countUnread(s, [event]);
    if (event.kind === "message" || event.kind === "delete" || event.kind === "member")
      countMentions(s, event, event.kind === "delete" ? w.messages.get(event.target) : undefined);
    a.succeed(op, { seq: event.seq, ts: event.ts, duplicate: false });
    encoded[i] = JSON.stringify(event);
    seqs[i] = event.seq;
  }
  if (isPlain) countUnread(s, accepted.map((a) => a.event));
  // The whole batch goes out as one frame: one publish and one WebSocket frame per socket instead
  // of one per event (a busy conversation commits several events per batch).
  a.host.fanout.broadcastEvents(seqs, encoded);
  a.host.appended(accepted.map((x) => x.event));
  for (const { event } of accepted) if (event.kind === "message") a.host.typing.set(event.author, false);
  for (const id of removed) {
    a.host.fanout.closeUser(id, CloseCodes.forbidden, "removed from conversation");
    a.host.typing.set(id, false);
  }
  a.host.committed(s, removed);
}

/** Unread counts after messages (in seq order): each message counts for every member but its
 *  author, whose count is zero after their own message. A missed call counts too, for everyone but
 *  the caller (whose count it leaves alone: a call does not move their read cursor, as
 *  SqlConversationStore.countUnread agrees). One pass over the members per batch. */
function countUnread(s: State, events: ConversationEvent[]): void {
  let total = 0;
  let lastBy: Map<string, number> | null = null;
  /** Per caller: their own missed calls since their last message in this batch. */
  let ownCalls: Map<string, number> | null = null;
  for (const e of events) {
    if (e.kind === "message") {
      total++;
      (lastBy ??= new Map()).set(e.author, total);
      ownCalls?.delete(e.author);
    } else if (e.kind === "call" && e.outcome === "missed") {
      total++;
      (ownCalls ??= new Map()).set(e.author, (ownCalls.get(e.author) ?? 0) + 1);
    }
  }
  if (total === 0) return;
  for (const [id, n] of s.unread) {
    const last = lastBy?.get(id);
    s.unread.set(id, (last === undefined ? n + total : total - last) - (ownCalls?.get(id) ?? 0));
  }
}
