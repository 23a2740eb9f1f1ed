/**
 * Flow-control acknowledgements, for hosts that cannot see how much of a socket's output is still
 * unsent (Durable Objects: workerd keeps no bufferedAmount for server sockets). Such a host puts
 * `flow: { ackChars }` in its welcome; the client then reports, at least every `ackChars`, how much
 * text it has received on this socket (`{"t":"received","chars":N}`, N = the total length of every
 * text frame so far, as JavaScript string lengths). The host treats what it sent and was not yet
 * acknowledged as the socket's backlog, so a client that stops reading is closed with 4008 (it
 * resumes from its last seq) instead of growing the object's memory. Hosts that see their send
 * buffer (Bun) send no `flow`, and clients send no acks. docs/protocol.md, "Backpressure".
 */
import { z } from "zod";

export const FlowControl = z.object({
  /** Acknowledge at least every this many received chars. */
  ackChars: z.number().int().min(1024).max(64 * 1024 * 1024),
});
export type FlowControl = z.infer<typeof FlowControl>;

export const ReceivedFrame = z.object({ t: z.literal("received"), chars: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) });

/** The client's side: count every text frame, and say when an ack is due. One per socket. */
export class ReceivedCounter {
  private total = 0;
  private acked = 0;
  private every = 0;

  /** The welcome asked for acks (`flow`); absent: this host needs none. */
  enable(flow: FlowControl | undefined): void {
    this.every = flow?.ackChars ?? 0;
  }

  /** Count a received text frame (before handling it). */
  count(chars: number): void {
    this.total += chars;
  }

  /** The `received` frame to send now, or null when none is due. */
  due(): string | null {
    if (this.every === 0 || this.total - this.acked < this.every) return null;
    this.acked = this.total;
    return `{"t":"received","chars":${this.total}}`;
  }
}
