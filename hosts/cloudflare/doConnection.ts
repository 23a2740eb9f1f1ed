/**
 * `Connection` over a hibernatable WebSocket (accepted with `ctx.acceptWebSocket`). The socket's
 * identity lives in its serialized attachment, so the wrapper can be rebuilt after the Durable
 * Object wakes from hibernation with nothing else remembered.
 */
import { CloseCodes } from "../../protocol/index.ts";
import type { Connection } from "../../actors/ports.ts";

/** What each socket carries through hibernation (kept tiny: attachments are limited to 2 KiB). */
export interface SocketAttachment {
  connId: string;
  userId: string;
  /** The sign-in session of the ticket that opened it (Connection.session). */
  session?: string;
  /** Flow control as of the client's last ack: chars sent, acknowledged, allowance. */
  flow?: [sent: number, acked: number, allowance: number];
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
 * lagged up to 2.2 MB behind; 2 MiB closed it now and then, so 8 MiB. Counted in chars (string
 * length), not bytes: non-Latin text can take up to 3 bytes a char in UTF-8.
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
  readonly session?: string;
  readonly ackChars = ACK_CHARS;
  private closed = false;
  /** Text sent, and acknowledged by the client (its totals are capped at `sent`). Kept in the
   *  attachment at each ack, so a wake from hibernation does not start from 0 while the client's
   *  totals go on (which would count everything sent before as read). */
  private sent = 0;
  private acked = 0;
  /** Unacknowledged text that is not backlog: IN_FLIGHT_CHARS plus the first frame (a welcome or an
   *  inbox list may be megabytes, sent before the client can ack anything). */
  private allowance = IN_FLIGHT_CHARS;

  /** `maxBacklog`: the host's maxSocketBufferBytes. Past twice it, `send` closes the socket itself
   *  (as Bun's own limit does): replies sent outside the fan-out (history, pong) are bounded too. */
  constructor(readonly ws: WebSocket, private readonly attachment: SocketAttachment, private readonly maxBacklog: number) {
    this.id = attachment.connId;
    this.userId = attachment.userId;
    this.session = attachment.session;
    const f = attachment.flow;
    if (f) [this.sent, this.acked, this.allowance] = f;
  }

  /** Rebuild from a socket returned by `ctx.getWebSockets()`; null if it was never ours. */
  static fromSocket(ws: WebSocket, maxBacklog: number): DoConnection | null {
    const a = ws.deserializeAttachment() as SocketAttachment | null;
    if (!a || typeof a.connId !== "string" || typeof a.userId !== "string") return null;
    const f = a.flow;
    const flow = Array.isArray(f) && f.length === 3 && f.every((n) => Number.isSafeInteger(n) && n >= 0) ? f : undefined;
    return new DoConnection(ws, { connId: a.connId, userId: a.userId, session: typeof a.session === "string" ? a.session : undefined, flow }, maxBacklog);
  }

  send(frame: string): void {
    if (this.closed) return;
    try {
      this.ws.send(frame);
    } catch {
      // The peer is gone; the runtime will deliver webSocketClose and the host disconnects us.
      this.closed = true;
      return;
    }
    if (this.sent === 0) this.allowance += frame.length;
    this.sent += frame.length;
    // Not counted in socketStats: the fan-out that still holds this socket counts its drop.
    if (this.sent - this.acked > this.allowance + 2 * this.maxBacklog) this.close(CloseCodes.slowConsumer, "slow consumer: reconnect and resume");
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
    const acked = Math.max(this.acked, Math.min(chars, this.sent));
    if (acked === this.acked) return;
    this.acked = acked;
    try {
      this.ws.serializeAttachment({ ...this.attachment, flow: [this.sent, this.acked, this.allowance] } satisfies SocketAttachment);
    } catch {
      // A socket accepted without hibernation (nothing to survive) or already closing.
    }
  }

  /** workerd exposes no send queue for server sockets (no bufferedAmount): the backlog is what the
   *  client has not acknowledged, beyond what is normally in flight. */
  buffered(): number {
    return Math.max(0, this.sent - this.acked - this.allowance);
  }
}
