/**
 * A conversation's newest messages, so edits, deletes and reactions find their target without a
 * storage read. New messages arrive in seq order, so they go into a ring indexed by seq (an LRU map
 * cost a delete, an insert and an eviction per message); older messages that were loaded or patched
 * sit in a small LRU.
 */
import type { MessageEvent } from "../../protocol/index.ts";
import { LruMap } from "../lruMap.ts";

export class RecentMessages {
  private readonly ring: Array<MessageEvent | undefined>;
  private newest = 0;
  private readonly older = new LruMap<number, MessageEvent>(100);

  constructor(private readonly size: number) {
    this.ring = new Array(size);
  }

  private inRing(seq: number): boolean {
    return seq > this.newest - this.size;
  }

  get(seq: number): MessageEvent | undefined {
    if (!this.inRing(seq)) return this.older.get(seq);
    const m = this.ring[seq % this.size];
    return m?.seq === seq ? m : undefined;
  }

  set(seq: number, m: MessageEvent): void {
    if (!this.inRing(seq)) return this.older.set(seq, m);
    this.ring[seq % this.size] = m;
    if (seq > this.newest) this.newest = seq;
  }
}
