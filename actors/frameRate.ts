/**
 * Rate limits on the socket frames that write nothing but still cost the server (or others): history
 * pages, typing toggles, presence toggles. One token bucket per socket and kind (burst = 2x the
 * rate), kept beside the socket; the socket count per user is capped at the edge
 * (limits.maxSocketsPerUser), so more sockets buy a bounded amount. A frame over the limit does
 * nothing and is answered `{t:"error", code:"rate_limited", retryAfter}` (seconds).
 */
import type { Connection } from "./ports.ts";

export class TokenBucket {
  private tokens: number;
  private at: number;
  constructor(private readonly perSecond: number, private readonly now: () => number = Date.now) {
    this.tokens = perSecond * 2;
    this.at = now();
  }

  /** 0 when a token was taken; otherwise the seconds until one is available (nothing taken). */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.perSecond * 2, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return (1 - this.tokens) / this.perSecond;
  }
}

/** Buckets per socket, created on first use and gone with the socket (no sweep needed). */
export class SocketBuckets<K extends string> {
  private readonly buckets = new WeakMap<Connection, Map<K, TokenBucket>>();
  constructor(private readonly rates: Record<K, number>, private readonly now: () => number = Date.now) {}

  /** true: go ahead. false: refused, and the socket was told when to retry. */
  take(conn: Connection, kind: K): boolean {
    let m = this.buckets.get(conn);
    if (!m) this.buckets.set(conn, (m = new Map()));
    let b = m.get(kind);
    if (!b) m.set(kind, (b = new TokenBucket(this.rates[kind], this.now)));
    const wait = b.take();
    if (wait === 0) return true;
    const retryAfter = Math.round(wait * 1000) / 1000;
    conn.send(JSON.stringify({ t: "error", code: "rate_limited", message: `too many ${kind} frames: retry after ${retryAfter} s`, retryAfter }));
    return false;
  }
}
