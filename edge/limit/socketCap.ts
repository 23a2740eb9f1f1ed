/**
 * Open sockets per user on this process (limits.maxSocketsPerUser): conversation and inbox sockets
 * together. A host counts a socket from its upgrade to its close; past the cap the upgrade is
 * refused with 429 `rate_limited` before any socket exists. One process knows only its own sockets:
 * on a cluster the cap is per node (docs/operations.md).
 */
import { NexusError } from "../../protocol/errors.ts";

export class SocketCap {
  private readonly open = new Map<string, number>();
  constructor(private readonly max: number) {}

  /** Counts one more socket of `userId`, or throws 429 when the user is at the cap. */
  acquire(userId: string): void {
    const n = this.open.get(userId) ?? 0;
    if (n >= this.max)
      throw new NexusError("rate_limited", `too many open sockets: at most ${this.max} per user; close one first`, { retryAfter: 5 });
    this.open.set(userId, n + 1);
  }

  release(userId: string): void {
    const n = (this.open.get(userId) ?? 0) - 1;
    if (n > 0) this.open.set(userId, n);
    else this.open.delete(userId);
  }

  count(userId: string): number {
    return this.open.get(userId) ?? 0;
  }
}
