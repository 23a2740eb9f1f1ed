import { CloseCodes, ReceivedCounter, ServerFrame } from "../../../protocol/index.ts";
import { ApiError } from "../api/http.ts";
import { Backoff } from "../state/backoff.ts";

/**
 * A WebSocket that comes back. Each (re)connect asks `url()` afresh: it fetches a new ticket and
 * puts the resume cursor in the query. Waits between attempts grow with jitter; a frame proving the
 * connection healthy (`welcome` / `inbox`) resets them. 4003/4004 mean "do not come back".
 */
export type SocketState = "connecting" | "open" | "reconnecting" | "offline" | "closed";

export interface SocketHooks {
  url(): Promise<string>;
  onFrame(frame: ServerFrame): void;
  onState?(state: SocketState, detail?: { code?: number; reason?: string }): void;
}

const PING_EVERY_MS = 20_000;
const SILENCE_LIMIT_MS = 45_000;

export class ReconnectingSocket {
  state: SocketState = "connecting";
  private ws: WebSocket | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pinger: ReturnType<typeof setInterval> | null = null;
  private lastFrameAt = 0;
  private stopped = false;
  private readonly backoff = new Backoff({ baseMs: 400, maxMs: 15_000 });
  private readonly onOnline = () => this.reconnectNow();

  constructor(private readonly hooks: SocketHooks) {
    globalThis.addEventListener?.("online", this.onOnline);
    void this.connect();
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  send(frame: object): boolean {
    if (!this.isOpen) return false;
    this.ws!.send(JSON.stringify(frame));
    return true;
  }

  /** The connection proved useful: the next failure starts from a short wait again. */
  healthy(): void {
    this.backoff.reset();
  }

  /** Drop the current socket and resume at once (gap detected, network back). */
  reconnectNow(): void {
    if (this.stopped) return;
    this.backoff.reset();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      void this.connect();
    } else if (this.ws) {
      this.ws.close(4000, "resync");
    }
  }

  close(): void {
    this.stopped = true;
    globalThis.removeEventListener?.("online", this.onOnline);
    if (this.timer) clearTimeout(this.timer);
    this.stopPing();
    const ws = this.ws;
    this.ws = null;
    ws?.close(CloseCodes.normal, "bye");
    this.setState("closed");
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.timer = null;
    this.setState(this.state === "open" || this.state === "connecting" ? "connecting" : "reconnecting");
    let url: string;
    try {
      url = await this.hooks.url();
    } catch (e) {
      // 401 after a failed refresh means the session is gone; anything else is the network.
      if (e instanceof ApiError && (e.status === 401 || e.status === 403 || e.status === 404)) return this.giveUp(CloseCodes.forbidden, e.message);
      return this.retryLater();
    }
    if (this.stopped) return;
    const ws = new WebSocket(url);
    this.ws = ws;
    // Flow-control acks, when the welcome asks for them (protocol/flow.ts); counted per socket.
    const flow = new ReceivedCounter();
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.lastFrameAt = Date.now();
      this.setState("open");
      this.startPing();
    };
    ws.onmessage = (m) => {
      if (this.ws !== ws) return;
      this.lastFrameAt = Date.now();
      const text = String(m.data);
      flow.count(text.length);
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        raw = undefined;
      }
      const parsed = ServerFrame.safeParse(raw);
      if (parsed.success && (parsed.data.t === "welcome" || parsed.data.t === "inbox")) flow.enable(parsed.data.flow);
      // Acked before the frame is handled: a handler that throws must not hold the ack back.
      const ack = flow.due();
      if (ack && ws.readyState === WebSocket.OPEN) ws.send(ack);
      if (parsed.success) this.hooks.onFrame(parsed.data);
      else console.warn("nexus: ignored malformed frame", parsed.error.issues[0]);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopPing();
      if (ev.code === CloseCodes.forbidden || ev.code === CloseCodes.notFound || ev.code === CloseCodes.signedOut) return this.giveUp(ev.code, ev.reason);
      this.retryLater();
    };
  }

  private retryLater(): void {
    if (this.stopped) return;
    const offline = typeof navigator !== "undefined" && navigator.onLine === false;
    this.setState(offline ? "offline" : "reconnecting");
    this.timer = setTimeout(() => void this.connect(), this.backoff.next());
  }

  private giveUp(code: number, reason: string): void {
    this.stopped = true;
    this.setState("closed", { code, reason });
  }

  private startPing(): void {
    this.stopPing();
    this.pinger = setInterval(() => {
      if (Date.now() - this.lastFrameAt > SILENCE_LIMIT_MS) {
        // Half-open TCP: no close event will come. Cut it ourselves and resume.
        this.ws?.close(4000, "silent");
        return;
      }
      this.send({ t: "ping" });
    }, PING_EVERY_MS);
  }

  private stopPing(): void {
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = null;
  }

  private setState(state: SocketState, detail?: { code?: number; reason?: string }): void {
    this.state = state;
    this.hooks.onState?.(state, detail);
  }
}

/** ws:// or wss:// URL for a path on the page's own origin. */
export function socketUrl(path: string, query: Record<string, string | number | undefined>): string {
  const u = new URL(path, location.href);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
  return u.toString();
}
