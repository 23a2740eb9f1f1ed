/**
 * `Connection` over a hibernatable WebSocket (accepted with `ctx.acceptWebSocket`). The socket's
 * identity lives in its serialized attachment, so the wrapper can be rebuilt after the Durable
 * Object wakes from hibernation with nothing else remembered.
 */
import type { Connection } from "../../driver.ts";

/** What each socket carries through hibernation (kept tiny: attachments are limited to 2 KiB). */
export interface SocketAttachment {
  connId: string;
  userId: string;
}

/** Codes a server may not send in a close frame; echoing one makes workerd throw. */
const RESERVED_CLOSE = new Set([1004, 1005, 1006, 1015]);

export function closeCode(code: number): number {
  if (RESERVED_CLOSE.has(code)) return 1000;
  if (code === 1000 || (code >= 1001 && code <= 1014) || (code >= 3000 && code <= 4999)) return code;
  return 1000;
}

const encoder = new TextEncoder();

/** Clients acknowledge at least every this many received chars (protocol/flow.ts). */
export const ACK_CHARS = 64 * 1024;
/**
 * Unacknowledged text that is not yet a backlog: what is legitimately on its way (TCP buffers at
 * both ends, the network, a busy client's frames not yet handled, its ack queued behind other
 * frames in this object). Only what exceeds it counts against `maxSocketBufferBytes`, as the Bun
 * host counts only what its kernel would not take (Linux buffers up to 4 MiB to send and 6 MiB to
 * receive per TCP socket by default). Measured: a test client reading a 20 MB flood in 1 MB bursts
 * lagged up to 2.2 MB behind; 2 MiB closed it now and then, so 8 MiB. A stalled client costs the
 * object at most this plus the limit, then it is closed.
 */
export const IN_FLIGHT_CHARS = 8 * 1024 * 1024;

/** Close reasons are limited to 123 UTF-8 bytes (workerd throws past that): cut on a character boundary. */
export function closeReason(reason: string): string {
  if (encoder.encode(reason).length <= 123) return reason;
  let out = "";
  for (const ch of reason) {
    if (encoder.encode(out + ch).length > 123) break;
    out += ch;
  }
  return out;
}

export class DoConnection implements Connection {
  readonly id: string;
  readonly userId: string;
  readonly ackChars = ACK_CHARS;
  private closed = false;
  /** Text sent and acknowledged by the client since this wrapper was built (a wake from hibernation
   *  starts both at 0; the client's totals, counted since it connected, are capped at `sent`). */
  private sent = 0;
  private acked = 0;

  constructor(readonly ws: WebSocket, attachment: SocketAttachment) {
    this.id = attachment.connId;
    this.userId = attachment.userId;
  }

  /** Rebuild from a socket returned by `ctx.getWebSockets()`; null if it was never ours. */
  static fromSocket(ws: WebSocket): DoConnection | null {
    const a = ws.deserializeAttachment() as SocketAttachment | null;
    if (!a || typeof a.connId !== "string" || typeof a.userId !== "string") return null;
    return new DoConnection(ws, a);
  }

  send(frame: string): void {
    if (this.closed) return;
    try {
      this.ws.send(frame);
      this.sent += frame.length;
    } catch {
      // The peer is gone; the runtime will deliver webSocketClose and the host disconnects us.
      this.closed = true;
    }
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.ws.close(closeCode(code), closeReason(reason));
    } catch {
      // Already closing.
    }
  }

  received(chars: number): void {
    this.acked = Math.max(this.acked, Math.min(chars, this.sent));
  }

  /** workerd exposes no send queue for server sockets (no bufferedAmount): the backlog is what the
   *  client has not acknowledged, beyond what is normally in flight. */
  buffered(): number {
    return Math.max(0, this.sent - this.acked - IN_FLIGHT_CHARS);
  }
}
