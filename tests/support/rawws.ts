/**
 * A WebSocket client written by hand over a raw TCP socket, for what a real client library hides:
 * the exact HTTP status of a refused handshake, and a reader that stops reading (`pause`) so the
 * server's send buffer for it grows, as with a stalled phone on a bad network.
 */
import { connect, type Socket } from "node:net";
import { randomBytes } from "node:crypto";

export interface RawWebSocket {
  /** HTTP status of the handshake answer (101 when upgraded). */
  status: number;
  socket: Socket;
  /** Bytes received after the handshake (counted only while reading). */
  bytes(): number;
  /** Text frames decoded so far (only while reading). */
  texts: string[];
  /** Close code of a close frame from the server, if one was read. */
  closeCode(): number | undefined;
  /** Resolves with the code of the server's close frame (only while reading). */
  closeFrame: Promise<number>;
  /** Resolves when the server ended or reset the connection. */
  ended: Promise<"end" | "close" | "error">;
  pause(): void;
  resume(): void;
  destroy(): void;
}

/** Perform the handshake for `url` (ws://host:port/path?query) by hand. */
export async function openRawWebSocket(
  url: string,
  opts: { pauseAfterHandshake?: boolean; /** false: never answer a close frame (a broken client). */ answerClose?: boolean } = {},
): Promise<RawWebSocket> {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const key = randomBytes(16).toString("base64");
  socket.write(
    `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let buf = Buffer.alloc(0);
  let received = 0;
  let closeCode: number | undefined;
  const texts: string[] = [];
  let settleHead: (status: number) => void;
  const head = new Promise<number>((resolve) => (settleHead = resolve));
  let headDone = false;
  const ended = new Promise<"end" | "close" | "error">((resolve) => {
    socket.once("end", () => resolve("end"));
    socket.once("close", () => resolve("close"));
    socket.once("error", () => resolve("error"));
  });
  ended.then(() => settleHead(0));
  let settleCloseFrame: (code: number) => void;
  const closeFrame = new Promise<number>((resolve) => (settleCloseFrame = resolve));

  const parseFrames = () => {
    for (;;) {
      if (buf.length < 2) return;
      const opcode = buf[0] & 0x0f;
      let len = buf[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        off = 10;
      }
      if (buf.length < off + len) return;
      const payload = buf.subarray(off, off + len);
      if (opcode === 1) texts.push(payload.toString("utf8"));
      if (opcode === 8) {
        closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        // Complete the closing handshake like a real client (masked echo), then end our side.
        if (opts.answerClose !== false && !socket.destroyed) {
          const mask = randomBytes(4);
          const body = Buffer.from(payload.subarray(0, 2));
          for (let i = 0; i < body.length; i++) body[i] ^= mask[i % 4];
          socket.write(Buffer.concat([Buffer.from([0x88, 0x80 | body.length]), mask, body]));
          socket.end();
        }
        settleCloseFrame(closeCode);
      }
      // Answer a close frame as RFC 6455 §5.5.1 requires (masked, echoing the code): servers such as
      // workerd wait for this answer before they end the TCP connection.
      if (opcode === 8 && !socket.destroyed) {
        const mask = randomBytes(4);
        const echo = Buffer.from(payload.subarray(0, 2).map((b, i) => b ^ mask[i]!));
        socket.write(Buffer.concat([Buffer.from([0x88, 0x80 | echo.length]), mask, echo]));
      }
      buf = buf.subarray(off + len);
    }
  };

  socket.on("data", (chunk: Buffer) => {
    if (!headDone) {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      headDone = true;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buf.subarray(0, end).toString("latin1"))?.[1] ?? 0);
      buf = buf.subarray(end + 4);
      received += buf.length;
      // Stop reading before the handler returns so the kernel buffer starts to fill at once.
      if (opts.pauseAfterHandshake) socket.pause();
      settleHead(status);
      parseFrames();
      return;
    }
    received += chunk.length;
    buf = Buffer.concat([buf, chunk]);
    parseFrames();
  });

  const status = await head;
  return {
    status,
    socket,
    bytes: () => received,
    texts,
    closeCode: () => closeCode,
    closeFrame,
    ended,
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    destroy: () => socket.destroy(),
  };
}
