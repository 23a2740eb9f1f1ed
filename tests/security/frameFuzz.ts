/**
 * Socket frames of every type (protocol/frames.ts), valid, near-valid and garbage, sent by a member
 * over a real socket. Each frame is followed by a `ping`: frames are handled in order, so whatever
 * came before the `pong` answers it; a write that passed validation also waits for its own ack or
 * error (commits are asynchronous).
 */
import { expect } from "bun:test";
import fc from "fast-check";
import { ConversationClientFrame, InboxClientFrame } from "../../protocol/frames.ts";
import { defaultLimits } from "../../protocol/limits.ts";
import { newClientId, type Frame, type Session, type TestSocket } from "../support/client.ts";
import { inputsFor, rawGarbageText } from "./arbitraries.ts";
import { eventAt, expectCleanErrorFrame, expectMessage, snapshot, type World } from "./fuzzWorld.ts";

const DEFAULT_MAX_FRAME_BYTES = defaultLimits.maxFrameBytes;
const WRITES = new Set(["send", "edit", "delete", "react", "pin"]);

/** A frame as sent: its JSON text and, when it was an object, the object. */
export interface SentFrame {
  raw: string;
  obj?: Record<string, any>;
}

/** Frames of one type `t`: its schema's valid and near-valid values, plus raw garbage. */
export function framesOf(union: typeof ConversationClientFrame | typeof InboxClientFrame, t: string): fc.Arbitrary<SentFrame> {
  const option = (union.options as readonly any[]).find((o) => o.shape.t.value === t);
  return fc.oneof(
    { weight: 8, arbitrary: inputsFor(option, t === "send" ? { attachments: fc.constant(undefined), replyTo: fc.constantFrom(undefined, 1), threadRoot: fc.constant(undefined) } : undefined).map((v) => ({ raw: JSON.stringify(v), obj: v && typeof v === "object" && !Array.isArray(v) ? (v as any) : undefined })) },
    // Garbage sent under the right type: the `t` is right, nothing else is.
    { weight: 1, arbitrary: rawGarbageText.map((s) => ({ raw: `{"t":"${t}","x":${JSON.stringify(s)}}` })) },
    { weight: 1, arbitrary: rawGarbageText.map((raw) => ({ raw })) },
  );
}

/** A socket that is reopened when the server closes it for too many invalid frames (4009). */
export class FuzzSocket {
  private sock: TestSocket | undefined;
  /** Largest frame sent on the current socket: the 1009 close for it can come a frame or two later. */
  private largest = 0;
  constructor(
    private readonly who: Session,
    private readonly open: (who: Session) => Promise<TestSocket>,
  ) {}

  async get(): Promise<TestSocket> {
    if (this.sock?.isClosed) {
      // The only closes a member's socket may get here: the policy close after 20 bad frames, and
      // the WebSocket layer's 1009 for a frame over 4x maxFrameBytes (hosts/bun/bunSockets.ts).
      const allowed = this.largest > 4 * DEFAULT_MAX_FRAME_BYTES ? [4009, 1009] : [4009];
      expect(allowed, `socket closed: ${JSON.stringify(this.sock.closeInfo)} (largest frame on it: ${this.largest} bytes)`).toContain(this.sock.closeInfo?.code ?? -1);
      this.sock = undefined;
      this.largest = 0;
    }
    this.sock ??= await this.open(this.who);
    return this.sock;
  }

  /** Send `f`; return every frame that answered it. */
  async exchange(f: SentFrame): Promise<Frame[]> {
    const sock = await this.get();
    const from = sock.frames.length;
    this.largest = Math.max(this.largest, new TextEncoder().encode(f.raw).byteLength);
    sock.sendRaw(f.raw);
    const pingId = sock.frames.length;
    sock.send({ t: "ping" });
    try {
      await sock.next((x) => x.t === "pong" && sock.frames.indexOf(x) >= pingId, 15_000);
    } catch (e) {
      if (!sock.isClosed) throw e;
    }
    let answers = sock.frames.slice(from).filter((x) => x.t !== "pong");
    const clientId = f.obj?.clientId;
    const sawOwn = answers.some((x) => (x.t === "ack" || x.t === "error") && (x.clientId === clientId || x.clientId === undefined));
    if (typeof clientId === "string" && WRITES.has(f.obj!.t) && !sawOwn && !sock.isClosed) {
      await sock.replyTo(clientId, 15_000);
      answers = sock.frames.slice(from).filter((x) => x.t !== "pong");
    }
    return answers;
  }
}

/** Check the answers to one frame on the sandbox group; record accepted writes. true: a write was accepted. */
export async function checkConversationAnswer(w: World, conv: string, f: SentFrame, answers: Frame[], before: unknown): Promise<boolean> {
  const what = `frame ${f.raw.slice(0, 160)}`;
  const errors = answers.filter((a) => a.t === "error");
  for (const e of errors) expectCleanErrorFrame(e, what);
  const ack = answers.find((a) => a.t === "ack" && a.clientId === f.obj?.clientId && a.clientId !== undefined);
  if (errors.length > 0 || !ack) {
    // Refused (or not a write): nothing the sandbox shows may have changed, except by an accepted write.
    if (!ack && conv === w.group) expect(await snapshot(w), `${what} changed state: ${JSON.stringify(errors)}`).toEqual(before);
    return false;
  }
  if (ack.duplicate) return false;
  const o = f.obj!;
  // History pages fold edits, deletes and reactions into their message: those are read back there.
  if (o.t === "send") {
    const e = await eventAt(w.alice, conv, ack.seq);
    expect(e, `${what}: acked seq ${ack.seq} missing`).toBeDefined();
    expect(e.text, `${what}: text as acked`).toBe(o.text);
    expectMessage(w, conv, ack.seq, { text: o.text });
  } else if (o.t === "edit") {
    expect((await eventAt(w.alice, conv, o.target))?.text, `${what}: edited text`).toBe(o.text);
    expectMessage(w, conv, o.target, { text: o.text });
  } else if (o.t === "react") {
    const m = await eventAt(w.alice, conv, o.target);
    expect(m?.reactions?.[o.emoji]?.includes(w.alice.id) ?? false, `${what}: reaction state`).toBe(o.on);
  } else if (o.t === "pin") {
    expect(!!(await eventAt(w.alice, conv, o.target))?.pinned, `${what}: pinned state`).toBe(o.on);
  } else if (o.t === "delete") {
    expect((await eventAt(w.alice, conv, o.target))?.deleted).toBe(true);
    expectMessage(w, conv, o.target, { deleted: true });
  }
  return true;
}

/** A fresh clientId now and then, so some writes are new and some are resends. */
export const freshClientIds = (f: SentFrame): SentFrame => {
  if (!f.obj || typeof f.obj.clientId !== "string" || /^[A-Za-z0-9_-]{8,64}$/.test(f.obj.clientId) === false) return f;
  const obj = { ...f.obj, clientId: newClientId("fz") };
  return { raw: JSON.stringify(obj), obj };
};
