/**
 * A test WebSocket client that records every server frame. Tests wait for frames with
 * `next(predicate)`: each call returns the oldest not-yet-taken frame that matches, so waiting for
 * acks and waiting for events can interleave freely without losing frames. Every frame is checked
 * against the protocol's ServerFrame schema; violations are kept in `protocolErrors`.
 */
import { ReceivedCounter, ServerFrame } from "../../protocol/index.ts";

export type Frame = { t: string; [k: string]: any };
export type FramePredicate = string | ((f: Frame) => boolean);

export interface CloseInfo {
  code: number;
  reason: string;
  /** Did the socket ever open (false: handshake refused, see `rejectedStatus`). */
  opened: boolean;
  /** HTTP status of a refused handshake, when the runtime reports it. */
  rejectedStatus?: number;
}

function matcher(p: FramePredicate): (f: Frame) => boolean {
  return typeof p === "string" ? (f) => f.t === p : p;
}

export class TestSocket {
  readonly frames: Frame[] = [];
  readonly protocolErrors: { raw: string; error: string }[] = [];
  /** How many `events` frames (several events in one) arrived. */
  batchedFrames = 0;
  /** Resolves true when open, false if the handshake failed. */
  readonly opened: Promise<boolean>;
  readonly closed: Promise<CloseInfo>;
  closeInfo: CloseInfo | undefined;
  private readonly ws: WebSocket;
  private readonly taken = new Set<Frame>();
  private firstUntaken = 0;
  private waiters: (() => void)[] = [];
  private isOpen = false;
  private rejectedStatus: number | undefined;
  /** Flow-control acks, sent when the welcome asks for them (protocol/flow.ts). */
  private readonly flow = new ReceivedCounter();
  /** `received` acks sent (hosts that need them: Durable Objects). */
  acksSent = 0;

  /** `userId`: the socket's user, whose own events count as acks (protocol/frames.ts). */
  constructor(readonly url: string, readonly userId?: string) {
    this.ws = new WebSocket(url);
    this.opened = new Promise((resolve) => {
      this.ws.addEventListener("open", () => {
        this.isOpen = true;
        resolve(true);
      });
      this.ws.addEventListener("close", () => resolve(false));
    });
    this.ws.addEventListener("error", (e) => {
      const m = /status code: (\d{3})/.exec(String((e as any).message ?? ""));
      if (m) this.rejectedStatus = Number(m[1]);
    });
    this.closed = new Promise((resolve) => {
      this.ws.addEventListener("close", (e) => {
        this.closeInfo = { code: e.code, reason: e.reason, opened: this.isOpen, rejectedStatus: this.rejectedStatus };
        resolve(this.closeInfo);
        this.wake();
      });
    });
    this.ws.addEventListener("message", (e) => {
      const raw = typeof e.data === "string" ? e.data : new TextDecoder().decode(e.data as ArrayBuffer);
      if (typeof e.data === "string") this.flow.count(raw.length);
      this.ackIfDue();
      let frame: Frame;
      try {
        frame = JSON.parse(raw);
      } catch {
        this.protocolErrors.push({ raw: raw.slice(0, 200), error: "not JSON" });
        return;
      }
      if (frame.t === "welcome" || frame.t === "inbox") {
        this.flow.enable(frame.flow);
        this.ackIfDue();
      }
      const check = ServerFrame.safeParse(frame);
      if (!check.success) this.protocolErrors.push({ raw: raw.slice(0, 300), error: check.error.message.slice(0, 300) });
      // An `events` frame is that many `event` frames; tests see them one by one (marked `batched`).
      const frames: Frame[] = frame.t === "events" ? frame.es.map((e: Frame) => ({ t: "event", e, batched: true })) : [frame];
      if (frame.t === "events") this.batchedFrames++;
      for (const f of frames) {
        this.frames.push(f);
        // The protocol's ack is the sender's own event; tests wait for acks, so each such event is
        // followed by an ack view of it (marked `fromEvent`, so a test can tell the two kinds apart).
        const ev = f.t === "event" ? f.e : undefined;
        if (ev?.clientId && this.userId !== undefined && ev.author === this.userId)
          this.frames.push({ t: "ack", clientId: ev.clientId, seq: ev.seq, ts: ev.ts, fromEvent: true });
      }
      this.wake();
    });
  }

  private ackIfDue(): void {
    const ack = this.flow.due();
    if (ack === null || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(ack);
    this.acksSent++;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  get isClosed(): boolean {
    return this.closeInfo !== undefined;
  }

  /** Frames matching `p`, taken or not (does not take them). */
  all(p: FramePredicate): Frame[] {
    const m = matcher(p);
    return this.frames.filter(m);
  }

  /** The oldest untaken frame matching `p`, if one has arrived (takes it). */
  poll(p: FramePredicate): Frame | undefined {
    return this.scan(matcher(p), this.firstUntaken).frame;
  }

  /** Look for a match from index `from`; take it. Returns where to resume scanning. */
  private scan(m: (f: Frame) => boolean, from: number): { frame?: Frame; pos: number } {
    let pos = Math.max(from, this.firstUntaken);
    for (; pos < this.frames.length; pos++) {
      const f = this.frames[pos];
      if (this.taken.has(f) || !m(f)) continue;
      this.taken.add(f);
      while (this.firstUntaken < this.frames.length && this.taken.has(this.frames[this.firstUntaken])) this.firstUntaken++;
      return { frame: f, pos };
    }
    return { pos };
  }

  /** Wait for the oldest untaken frame matching `p`. Fails fast if the socket closes first. */
  async next(p: FramePredicate, timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    const m = matcher(p);
    // Frames already checked never match later (predicates are pure), so each wait only looks at new ones.
    let pos = this.firstUntaken;
    for (;;) {
      const found = this.scan(m, pos);
      if (found.frame) return found.frame;
      pos = found.pos;
      if (this.isClosed) throw new Error(`socket closed (${JSON.stringify(this.closeInfo)}) while waiting for ${describe(p)}; last frames: ${this.tail()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe(p)}; last frames: ${this.tail()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Wait for `count` frames matching `p` (taking them), in arrival order. */
  async take(p: FramePredicate, count: number, timeoutMs = 10_000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    const out: Frame[] = [];
    while (out.length < count) out.push(await this.next(p, Math.max(1, deadline - Date.now())));
    return out;
  }

  /** The `welcome` frame (first frame of a conversation socket). */
  welcome(timeoutMs = 10_000): Promise<Frame> {
    return this.next("welcome", timeoutMs);
  }

  send(frame: object): void {
    this.sendRaw(JSON.stringify(frame));
  }

  sendRaw(data: string | ArrayBufferLike | Uint8Array): void {
    this.ws.send(data as any);
  }

  /** Send a message and wait for its ack, or the error frame naming its clientId. */
  async sendMessage(text: string, clientId = newClientId(), extra: object = {}): Promise<Frame> {
    this.send({ t: "send", clientId, text, ...extra });
    return this.replyTo(clientId);
  }

  /** The ack or error frame for `clientId`. */
  replyTo(clientId: string, timeoutMs = 10_000): Promise<Frame> {
    return this.next((f) => (f.t === "ack" || f.t === "error") && f.clientId === clientId, timeoutMs);
  }

  /** Close and wait until closed; a server that never completes the close gets the socket torn down. */
  async close(code = 1000, reason = "", timeoutMs = 3000): Promise<CloseInfo> {
    if (!this.isClosed) {
      try {
        this.ws.close(code, reason);
      } catch {
        this.ws.close();
      }
    }
    const done = await Promise.race([this.closed, Bun.sleep(timeoutMs).then(() => undefined)]);
    if (done) return done;
    (this.ws as WebSocket & { terminate?: () => void }).terminate?.();
    return Promise.race([this.closed, Bun.sleep(1000).then(() => ({ code: 1006, reason: "client gave up waiting for close", opened: this.isOpen }))]);
  }

  /** A compact view of the last frames, for failure messages. */
  tail(n = 8): string {
    return this.frames
      .slice(-n)
      .map((f) => JSON.stringify(f).slice(0, 200))
      .join(" | ");
  }
}

function describe(p: FramePredicate): string {
  return typeof p === "string" ? `frame t=${p}` : `frame matching ${p.toString().slice(0, 120)}`;
}

let counter = 0;
/** A fresh valid clientId (8-64 chars of [A-Za-z0-9_-]). */
export function newClientId(prefix = "c"): string {
  counter++;
  return `${prefix}_${Date.now().toString(36)}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
}
