/**
 * Every frame the server sends, built here and nowhere else. `frame(t, body)` is typed against
 * `ServerFrame` (frames.ts), so a frame cannot leave with a wrong or missing field; the hot-path
 * frames (an event, a batch of events, an ack, a read cursor, a pong) splice already-encoded JSON
 * into a template instead, so each event is still encoded once for all its recipients. A test
 * (tests/protocol/serverFrames.test.ts) parses the output of every builder with `ServerFrame`.
 */
import type { ServerFrame, ServerFrameOf } from "./frames.ts";

type Body<T extends ServerFrame["t"]> = Omit<ServerFrameOf<T>, "t">;

/** Any server frame, encoded. */
export function frame<T extends ServerFrame["t"]>(t: T, body: Body<T>): string {
  return JSON.stringify({ t, ...body });
}

/** One durable event, from its stored encoding (the same string goes to every recipient). */
export const eventFrame = (encodedEvent: string): string => `{"t":"event","e":${encodedEvent}}`;

/** Events committed together, in seq order, from their stored encodings. */
export const eventsFrame = (encodedEvents: readonly string[]): string => `{"t":"events","es":[${encodedEvents.join(",")}]}`;

/** The answer to a resend of a stored clientId (ClientId is [A-Za-z0-9_-], so it needs no escaping). */
export const duplicateAckFrame = (clientId: string, seq: number, ts: number): string =>
  `{"t":"ack","clientId":${JSON.stringify(clientId)},"seq":${seq},"ts":${ts},"duplicate":true}`;

export const readFrame = (userId: string, seq: number): string => `{"t":"read","userId":${JSON.stringify(userId)},"seq":${seq}}`;

export const pongFrame = (ts: number): string => `{"t":"pong","ts":${ts}}`;

/** The conversation's storage is unreachable (read-only) or back. */
export const storageFrame = (readOnly: boolean): string => frame("storage", { readOnly });

/** A refusal, answering the frame with `clientId` when it had one. */
export const errorFrame = (code: string, message: string, clientId?: unknown): string =>
  frame("error", typeof clientId === "string" ? { code, message, clientId } : { code, message });
