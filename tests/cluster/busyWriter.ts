/**
 * A client that keeps a conversation busy across failovers the way the web client behaves: it sends
 * one message after another; when its socket closes (or a reply does not come) it reconnects at
 * once and every 50 ms after that, and resends its unacked message by clientId. Each ack is kept
 * with its arrival time, so a fault's unavailable window is the time from the fault to the first
 * ack after it. Used by tests/cluster/failover.test.ts and bench/failover.ts.
 */
import { newClientId, type Session } from "../support/client.ts";

export interface Ack {
  clientId: string;
  seq: number;
  at: number;
  /** When this clientId was first sent (ms since the epoch): `at - sentAt` is what its sender waited,
   *  resends across a fault included. */
  sentAt: number;
  /** When the socket it came on was welcomed. */
  joinedAt: number;
  duplicate: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class BusyWriter {
  readonly acks: Ack[] = [];
  /** Every clientId this writer sent, in order, with its text. */
  readonly sent: { clientId: string; text: string }[] = [];
  /** Sockets that closed under it (the server closed them, not us). */
  closes = 0;
  /** When each of those closes was seen (ms since the epoch): a failover's detection, from the client. */
  readonly closedAt: number[] = [];
  /** Each successful join: when it started, when its ticket came (POST /v1/ws-ticket), when the welcome came. */
  readonly joins: { start: number; ticketed: number; welcomed: number }[] = [];
  /** Joins that failed (refused, closed before the welcome, no welcome in time). */
  failedJoins = 0;
  /** Error frames answering a send, by code (each is followed by a resend of the same clientId). */
  readonly refusals: Record<string, number> = {};
  /** The last thing that went wrong (a failed join, a refusal), for a run's log when it stalls. */
  lastProblem = "";
  private running = true;
  private done: Promise<void> | undefined;

  constructor(
    private readonly user: Session,
    private readonly convId: string,
    readonly name: string,
    /** How long to wait for one reply before giving the socket up. */
    private readonly replyTimeoutMs = 3000,
    /** A pause after each ack (0: the next message goes at once); a paced writer is a person typing,
     *  whose ack latency means something (bench/regionMoves.ts). */
    private readonly pauseMs = 0,
  ) {}

  start(): this {
    this.done = this.run();
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  /** The first ack on a socket welcomed after `t` (ms since the epoch): acks of sends that were
   *  already committed when a fault hit can still arrive just after it, and do not count. */
  firstAckAfter(t: number): Ack | undefined {
    return this.acks.find((a) => a.joinedAt > t);
  }

  acksAfter(t: number): number {
    return this.acks.filter((a) => a.joinedAt > t).length;
  }

  private async run(): Promise<void> {
    let pending: { clientId: string; text: string; sentAt: number } | undefined;
    while (this.running) {
      let sock;
      let joinedAt: number;
      try {
        const start = Date.now();
        sock = await this.user.openConversation(this.convId);
        const ticketed = Date.now();
        await sock.welcome();
        joinedAt = Date.now();
        this.joins.push({ start, ticketed, welcomed: joinedAt });
      } catch (e) {
        this.failedJoins++;
        this.lastProblem = `join: ${String((e as Error)?.message ?? e).slice(0, 200)}`;
        await sleep(50);
        continue;
      }
      while (this.running && !sock.isClosed) {
        if (!pending) {
          pending = { clientId: newClientId(this.name), text: `${this.name} #${this.sent.length}`, sentAt: Date.now() };
          this.sent.push({ clientId: pending.clientId, text: pending.text });
        }
        sock.send({ t: "send", clientId: pending.clientId, text: pending.text });
        let reply;
        try {
          reply = await sock.replyTo(pending.clientId, this.replyTimeoutMs);
        } catch {
          break; // closed, or no answer: reconnect and resend
        }
        if (reply.t === "ack") {
          this.acks.push({ clientId: pending.clientId, seq: reply.seq, at: Date.now(), sentAt: pending.sentAt, joinedAt, duplicate: reply.duplicate === true });
          pending = undefined;
          if (this.pauseMs > 0) await sleep(this.pauseMs);
        } else {
          if (reply.t === "error") {
            this.refusals[reply.code] = (this.refusals[reply.code] ?? 0) + 1;
            this.lastProblem = `refused: ${reply.code} ${String(reply.message ?? "").slice(0, 200)}`;
          }
          await sleep(50); // a retryable refusal (unavailable, storage_unavailable): same clientId again
        }
      }
      if (sock.isClosed) {
        this.closes++;
        this.closedAt.push(Date.now());
      }
      else await sock.close().catch(() => {});
    }
  }
}
