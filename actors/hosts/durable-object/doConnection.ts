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
  private closed = false;

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

  /** Hibernatable sockets do not expose their send queue (no bufferedAmount in workerd). */
  buffered(): number {
    return 0;
  }
}
