/**
 * The sockets attached to one conversation and how frames reach them.
 * - Each frame is encoded once by the caller and the same string goes to every socket.
 * - A socket still receiving its welcome (replay being read) buffers live frames; `release` sends
 *   them after the welcome, skipping events the replay already covered: no gap, no duplicate.
 * - A socket whose outbound buffer passes the limit is closed (4008) instead of growing memory;
 *   the client reconnects and resumes from its last seq.
 */
import { CloseCodes } from "../../protocol/index.ts";
import type { Connection } from "../driver.ts";

export interface Sub {
  conn: Connection;
  pending: Array<[seq: number, frame: string]> | null;
  /** Invalid frames received (policy close past a threshold). */
  bad: number;
}

export class Fanout {
  private subs = new Map<Connection, Sub>();
  private byUser = new Map<string, Set<Sub>>();

  constructor(private readonly maxBuffered: number) {}

  get size(): number {
    return this.subs.size;
  }

  add(conn: Connection, buffering: boolean): Sub {
    const sub: Sub = { conn, pending: buffering ? [] : null, bad: 0 };
    this.subs.set(conn, sub);
    let set = this.byUser.get(conn.userId);
    if (!set) this.byUser.set(conn.userId, (set = new Set()));
    set.add(sub);
    return sub;
  }

  get(conn: Connection): Sub | undefined {
    return this.subs.get(conn);
  }

  /** Returns true when this was the user's last socket here. */
  remove(conn: Connection): boolean {
    const sub = this.subs.get(conn);
    if (!sub) return false;
    this.subs.delete(conn);
    const set = this.byUser.get(conn.userId)!;
    set.delete(sub);
    if (set.size === 0) this.byUser.delete(conn.userId);
    return set.size === 0;
  }

  hasUser(userId: string): boolean {
    return this.byUser.has(userId);
  }

  /** `seq` > 0 for log events (used to de-duplicate against a replay), 0 for ephemeral frames. */
  broadcast(frame: string, seq: number, exceptUser?: string): void {
    for (const sub of this.subs.values()) {
      if (exceptUser !== undefined && sub.conn.userId === exceptUser) continue;
      if (sub.pending) sub.pending.push([seq, frame]);
      else this.deliver(sub, frame);
    }
  }

  toUser(userId: string, frame: string): void {
    const set = this.byUser.get(userId);
    if (set) for (const sub of set) sub.pending ? sub.pending.push([0, frame]) : this.deliver(sub, frame);
  }

  closeUser(userId: string, code: number, reason: string): void {
    const set = this.byUser.get(userId);
    if (!set) return;
    for (const sub of [...set]) {
      this.remove(sub.conn);
      sub.conn.close(code, reason);
    }
  }

  /** End buffering after the welcome: send what arrived meanwhile, minus events up to `coveredSeq`. */
  release(sub: Sub, coveredSeq: number): void {
    const pending = sub.pending ?? [];
    sub.pending = null;
    for (const [seq, frame] of pending) if (seq === 0 || seq > coveredSeq) this.deliver(sub, frame);
  }

  deliver(sub: Sub, frame: string): void {
    if (sub.conn.buffered() > this.maxBuffered) {
      this.remove(sub.conn);
      sub.conn.close(CloseCodes.slowConsumer, "slow consumer: reconnect and resume");
      return;
    }
    sub.conn.send(frame);
  }
}
