import { Backoff } from "./backoff.ts";
import type { Outbox, OutboxItem } from "./outbox.ts";

/**
 * Drains the outbox strictly in order, one send in flight at a time: the next message leaves only
 * after the previous one is durable, so the conversation log keeps the order the person typed.
 * How a send travels (conversation socket or REST) is the transport's business.
 */
export type SendOutcome =
  | { kind: "ok"; seq: number; ts: number }
  /** Network down, server restarting, rate limited, timed out: try again later with the same clientId. */
  | { kind: "retry"; reason: string }
  /** The server said no for good: keep it visible as failed, move on. */
  | { kind: "fatal"; message: string };

export type SendTransport = (item: OutboxItem) => Promise<SendOutcome>;

export interface FlusherTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: FlusherTimers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class OutboxFlusher {
  private running = false;
  private again = false;
  private timer: unknown = null;
  private stopped = false;

  constructor(
    private readonly outbox: Outbox,
    private readonly transport: SendTransport,
    private readonly onAck: (item: OutboxItem, seq: number, ts: number) => void = () => {},
    private readonly backoff = new Backoff({ baseMs: 300, maxMs: 10_000 }),
    private readonly timers: FlusherTimers = realTimers,
  ) {}

  /** Something changed (new item, reconnected, back online): try now, forgetting earlier failures. */
  kick(): void {
    if (this.stopped) return;
    if (this.timer != null) {
      this.timers.clearTimeout(this.timer);
      this.timer = null;
      this.backoff.reset();
    }
    if (this.running) {
      this.again = true;
      return;
    }
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer != null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Resolves once the current drain pass is over (tests). */
  get busy(): boolean {
    return this.running || this.timer != null;
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      do {
        this.again = false;
        for (let item = this.outbox.head(); item && !this.stopped; item = this.outbox.head()) {
          this.outbox.markAttempt(item.clientId);
          let outcome: SendOutcome;
          try {
            outcome = await this.transport(item);
          } catch (e) {
            outcome = { kind: "retry", reason: String(e) };
          }
          if (outcome.kind === "ok") {
            this.backoff.reset();
            this.outbox.ack(item.clientId);
            this.onAck(item, outcome.seq, outcome.ts);
          } else if (outcome.kind === "fatal") {
            this.outbox.fail(item.clientId, outcome.message);
          } else {
            this.schedule();
            return;
          }
        }
      } while (this.again && !this.stopped);
    } finally {
      this.running = false;
    }
  }

  private schedule(): void {
    if (this.stopped || this.timer != null) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.kick();
    }, this.backoff.next());
  }
}
