/**
 * Which message a thread reply may hang under (protocol/threads.ts), checked when the reply is
 * applied (drafts.ts) against the batch's working copy of the root (preCommitReads.ts loads it).
 */
import { NexusError, type MessageEvent } from "../../protocol/index.ts";
import type { MessagePatch } from "../storage/sqlConversationStore.ts";

/** A reply to `root` as message `seq`: the root must be a live message here and not a reply itself.
 *  Returns the root's patch (its summary counts the reply). */
export function threadReply(messages: ReadonlyMap<number, MessageEvent>, root: number, seq: number, ts: number): MessagePatch {
  const m = messages.get(root);
  if (!m || root >= seq) throw new NexusError("bad_request", `threadRoot: no message ${root} in this conversation`);
  if (m.threadRoot !== undefined) throw new NexusError("bad_request", `threadRoot: message ${root} is a thread reply (reply in its root's thread, ${m.threadRoot})`);
  if (m.deleted) throw new NexusError("conflict", `threadRoot: message ${root} is deleted`);
  m.thread = { replies: (m.thread?.replies ?? 0) + 1, lastTs: ts, lastSeq: seq };
  return { seq: root, thread: m.thread };
}
