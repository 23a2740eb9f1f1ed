import { z } from "zod";

/**
 * Threads (Slack style). A thread reply is a `message` event with `threadRoot`: the seq of an earlier
 * message of the same conversation that is not itself a thread reply. Replies are events of the
 * conversation's one log (order, resume, idempotency and search cover them), but the main timeline
 * leaves them out: history pages skip them, unread counts do not count them, the list's preview does
 * not show them. The root carries `thread` (below), kept up to date by the conversation actor.
 *
 * Following: the root's author and everyone who replied follow a thread; anyone may follow or
 * unfollow (REST). A follower's unread thread replies (replies by others after what they marked read
 * in that thread) are summed per conversation in the inbox summary's `threads`.
 */
export const ThreadSummary = z.object({
  /** Replies so far (a deleted reply still counts: its tombstone stays in the thread). */
  replies: z.number().int().min(0),
  /** The newest reply's send time and seq. */
  lastTs: z.number(),
  lastSeq: z.number().int().min(1),
});
export type ThreadSummary = z.infer<typeof ThreadSummary>;
