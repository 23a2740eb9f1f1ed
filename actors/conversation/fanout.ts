/**
 * The sockets attached to one conversation and how frames reach them.
 * - Each frame is encoded once by the caller and the same string goes to every socket; where the host
 *   has native pub/sub (Bun), one `publish` to the conversation's topic reaches every joined socket.
 * - A socket still receiving its welcome (replay being read) buffers live frames and joins the topic
 *   only after `release` has sent them, skipping events the replay already covered: no gap, no duplicate.
 * - A socket whose outbound buffer passes the limit is closed (4008) instead of growing memory;
 *   the client reconnects and resumes from its last seq.
 */
import { eventFrame, eventsFrame } from "../../protocol/serverFrames.ts";
import { CloseCodes } from "../../protocol/index.ts";
import type { Connection, Publisher } from "../ports.ts";
import { socketStats } from "../socketStats.ts";

export interface Sub {
  conn: Connection;
  pending: Array<[seq: number, frame: string]> | null;
  /** Joined the topic: receives `publish`ed frames. */
  joined: boolean;
  /** Invalid frames received (policy close past a threshold). */
  bad: number;
}

/** How often sockets on the topic are checked for a full send buffer. */
const SWEEP_MS = 100;

export class Fanout {
  private subs = new Map<Connection, Sub>();
  private byUser = new Map<string, Set<Sub>>();
  /** Subs that get frames one by one: buffering a welcome, or the host has no pub/sub. */
  private direct = new Set<Sub>();
  private joined = 0;
  private lastSweep = 0;

  constructor(
    private readonly maxBuffered: number,
    private readonly topic: string,
    private readonly publish?: Publisher,
  ) {}

  get size(): number {
    return this.subs.size;
  }

  add(conn: Connection, buffering: boolean): Sub {
    const sub: Sub = { conn, pending: buffering ? [] : null, joined: false, bad: 0 };
    this.subs.set(conn, sub);
    let set = this.byUser.get(conn.userId);
    if (!set) this.byUser.set(conn.userId, (set = new Set()));
    set.add(sub);
    this.direct.add(sub);
    if (!buffering) this.join(sub);
    return sub;
  }

  private join(sub: Sub): void {
    if (!this.publish || !sub.conn.subscribe) return;
    sub.conn.subscribe(this.topic);
    sub.joined = true;
    this.joined++;
    this.direct.delete(sub);
  }

  get(conn: Connection): Sub | undefined {
    return this.subs.get(conn);
  }

  /** Returns true when this was the user's last socket here. */
  remove(conn: Connection): boolean {
    const sub = this.subs.get(conn);
    if (!sub) return false;
    this.subs.delete(conn);
    this.direct.delete(sub);
    if (sub.joined) {
      sub.joined = false;
      this.joined--;
      conn.unsubscribe?.(this.topic);
    }
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
    if (exceptUser !== undefined) {
      for (const sub of this.subs.values()) if (sub.conn.userId !== exceptUser) this.enqueue(sub, seq, frame);
      return;
    }
    this.publishToJoined(frame);
    for (const sub of this.direct) this.enqueue(sub, seq, frame);
  }

  private publishToJoined(frame: string): void {
    if (this.joined === 0) return;
    this.sweep();
    this.publish!(this.topic, frame);
  }

  /** Log events of one commit, in seq order, as one frame: `event` for one, `events` for several.
   *  A socket still buffering its welcome gets them one by one, so each can be checked against the
   *  replay it was sent. */
  broadcastEvents(seqs: number[], encoded: string[]): void {
    if (encoded.length === 1) return this.broadcast(eventFrame(encoded[0]!), seqs[0]!);
    const frame = eventsFrame(encoded);
    this.publishToJoined(frame);
    for (const sub of this.direct) {
      if (sub.pending) for (let i = 0; i < encoded.length; i++) sub.pending.push([seqs[i]!, eventFrame(encoded[i]!)]);
      else this.deliver(sub, frame);
    }
  }

  toUser(userId: string, frame: string): void {
    const set = this.byUser.get(userId);
    if (set) for (const sub of set) this.enqueue(sub, 0, frame);
  }

  private enqueue(sub: Sub, seq: number, frame: string): void {
    if (sub.pending) sub.pending.push([seq, frame]);
    else this.deliver(sub, frame);
  }

  /** `session`: only the sockets opened from that sign-in session. */
  closeUser(userId: string, code: number, reason: string, session?: string): void {
    const set = this.byUser.get(userId);
    if (!set) return;
    for (const sub of [...set]) {
      if (session !== undefined && sub.conn.session !== session) continue;
      this.remove(sub.conn);
      sub.conn.close(code, reason);
    }
  }

  /** Every socket, e.g. when the actor must be reloaded (they reconnect and resume). */
  closeAll(code: number, reason: string): void {
    for (const conn of [...this.subs.keys()]) {
      this.remove(conn);
      conn.close(code, reason);
    }
  }

  /** End buffering after the welcome: send what arrived meanwhile, minus events up to `coveredSeq`. */
  release(sub: Sub, coveredSeq: number): void {
    const pending = sub.pending ?? [];
    sub.pending = null;
    for (const [seq, frame] of pending) if (seq === 0 || seq > coveredSeq) this.deliver(sub, frame);
    if (this.subs.get(sub.conn) === sub) this.join(sub);
  }

  deliver(sub: Sub, frame: string): void {
    if (this.tooSlow(sub)) return;
    sub.conn.send(frame);
  }

  private tooSlow(sub: Sub): boolean {
    if (sub.conn.buffered() <= this.maxBuffered) return false;
    this.remove(sub.conn);
    socketStats.slowConsumerDrops++;
    sub.conn.close(CloseCodes.slowConsumer, "slow consumer: reconnect and resume");
    return true;
  }

  /** Published frames skip the per-socket check, so joined sockets are checked every SWEEP_MS (the
   *  host also closes a socket at twice the limit by itself). */
  private sweep(): void {
    const now = Date.now();
    if (now - this.lastSweep < SWEEP_MS) return;
    this.lastSweep = now;
    for (const sub of this.subs.values()) if (sub.joined) this.tooSlow(sub);
  }
}
