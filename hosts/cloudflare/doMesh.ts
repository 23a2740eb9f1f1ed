/**
 * ActorMesh between Durable Objects: a conversation reaches members' inboxes (and an inbox its
 * contacts' inboxes) through DO RPC stubs. Notifications are fire-and-forget for the caller, but the
 * object stays alive until they settle (ctx.waitUntil), and errors Cloudflare marks `retryable`
 * (transient: object restarting, network) are retried a few times with backoff. What still fails is
 * logged; inboxes converge on the next update because they apply summaries monotonically by lastSeq.
 * syncInbox (membership changes) is the exception: it resolves only once the inbox has stored the
 * update, and rejects if it could not, so the conversation does not confirm the change.
 */
import type { Presence } from "../../protocol/index.ts";
import type { ActorMesh, InboxUpdate, RingNotice } from "../../actors/ports.ts";
import type { InboxRpc } from "./doRpc.ts";
import { inboxRpc } from "./stubs.ts";
import type { DoEnv } from "./doEnv.ts";

const ATTEMPTS = 3;
const BACKOFF_MS = 50;

interface Waiter {
  waitUntil(p: Promise<unknown>): void;
}

export function isRetryable(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { retryable?: unknown }).retryable === true && (e as { overloaded?: unknown }).overloaded !== true;
}

export class DoMesh implements ActorMesh {
  constructor(
    private readonly env: DoEnv,
    private readonly ctx: Waiter,
    private readonly from: string,
  ) {}

  notifyInbox(userId: string, update: InboxUpdate): void {
    this.fire("apply", userId, (inbox) => inbox.apply(update));
  }

  /** Resolves once the inbox stored the update; rejects (after retries) if it could not. */
  syncInbox(userId: string, update: InboxUpdate): Promise<void> {
    return this.withRetry(userId, (inbox) => inbox.apply({ ...update, durable: true }));
  }

  ring(userId: string, notice: RingNotice): void {
    this.fire("ring", userId, (inbox) => inbox.ring(notice));
  }

  presenceChanged(toUserId: string, presence: Presence): void {
    this.fire("presenceChanged", toUserId, (inbox) => inbox.presenceChanged(presence));
  }

  /** One parallel RPC per user; an unreachable inbox reads as offline rather than failing the caller. */
  presenceOf(userIds: string[]): Promise<Presence[]> {
    return Promise.all(
      userIds.map((userId) =>
        inboxRpc(this.env, userId)
          .presence()
          .catch((e): Presence => {
            console.error(`[mesh ${this.from}] presence of ${userId} failed`, e);
            return { userId, status: "offline", lastSeen: null };
          }),
      ),
    );
  }

  private fire(what: string, userId: string, call: (inbox: InboxRpc) => Promise<unknown>): void {
    this.ctx.waitUntil(
      this.withRetry(userId, call).catch((e) => console.error(`[mesh ${this.from}] ${what} → inbox ${userId} failed`, e)),
    );
  }

  private async withRetry(userId: string, call: (inbox: InboxRpc) => Promise<unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        // A fresh stub per attempt: a stub that saw an error may stay broken.
        await call(inboxRpc(this.env, userId));
        return;
      } catch (e) {
        if (attempt >= ATTEMPTS || !isRetryable(e)) throw e;
        await new Promise((r) => setTimeout(r, BACKOFF_MS * 2 ** (attempt - 1)));
      }
    }
  }
}
