import { z } from "zod";

/**
 * Limits enforced by actors and edge. Defaults are what a single node ships with; every value can
 * be overridden by configuration (see edge/config.ts) and is validated there.
 */
export const LimitsSchema = z.object({
  /** Max characters of a message or edit text. */
  maxTextLength: z.number().int().min(1).max(100_000).default(4000),
  /** Max bytes of one inbound WebSocket frame. */
  maxFrameBytes: z.number().int().min(256).max(1_048_576).default(16_384),
  /** Sends (messages, edits, deletes, reactions) per user per second, per conversation; burst = 2x. */
  sendsPerSecond: z.number().min(0.1).max(10_000).default(20),
  /** Bytes an outbound socket may have queued before it is dropped as a slow consumer. */
  maxSocketBufferBytes: z.number().int().min(1024).default(1_048_576),
  /** How many events a resuming client may be replayed; beyond that: `recovered: false`. */
  replayCap: z.number().int().min(1).max(100_000).default(1000),
  /** Typing indicator lifetime without refresh. */
  typingTtlMs: z.number().int().min(500).max(60_000).default(5000),
  /** Max attachments per message. */
  maxAttachmentsPerMessage: z.number().int().min(0).max(32).default(10),
  /** Max bytes per attachment upload. */
  maxAttachmentBytes: z.number().int().min(1).default(10 * 1024 * 1024),
  /** Max members in a group. */
  maxGroupMembers: z.number().int().min(2).max(100_000).default(1000),
  /** `history` frames per socket per second; burst = 2x. Over it: error frame `rate_limited`. */
  historyPerSecond: z.number().min(0.1).max(10_000).default(5),
  /** `typing` frames that turn typing on (the ones fanned out), per socket per second; burst = 2x.
   *  Refreshes while on and `on: false` are free: they fan out nothing new. */
  typingPerSecond: z.number().min(0.1).max(10_000).default(2),
  /** Inbox `presence` frames per socket per second (each may tell every contact); burst = 2x. */
  presencePerSecond: z.number().min(0.1).max(10_000).default(2),
  /** Open sockets (conversation + inbox) per user; a new one past it is refused with 429. On a
   *  cluster this is per node (each node counts its own sockets). */
  maxSocketsPerUser: z.number().int().min(1).max(100_000).default(32),
});

export type Limits = z.infer<typeof LimitsSchema>;
export const defaultLimits: Limits = LimitsSchema.parse({});
