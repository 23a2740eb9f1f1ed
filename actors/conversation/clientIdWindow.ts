/**
 * The clientIds of a conversation's newest events, in memory: how a resend is recognised without a
 * storage lookup and without an index on clientIds (whose random keys were the writer's largest cost).
 *
 * The window holds every event with a clientId above `floor`, in seq order, up to `capacity`; the
 * oldest fall out and raise the floor. A clientId missing from the window is new if the client says
 * it first sent the operation when it had seen seq `base` >= floor: its event, if stored, would have a
 * seq above base, so it would be in the window. Otherwise the log between base (or 0) and the floor is
 * searched (commitPipeline.ts). A client that lies about `base` can only duplicate its own message.
 */
import { ClientIdMap } from "./clientIdMap.ts";

interface Stored {
  author: string;
  clientId: string;
  seq: number;
  ts: number;
}

export class ClientIdWindow {
  private readonly map = new ClientIdMap<Stored>();
  /** Entries in seq order; `head` is the oldest still present. */
  private readonly order: Stored[] = [];
  private head = 0;
  floor = 0;

  constructor(private readonly capacity: number) {}

  /** The event stored under this key (its seq and ts), if it is in the window. */
  get(author: string, clientId: string): Stored | undefined {
    return this.map.get(author, clientId);
  }

  /** Load what storage holds (newest first) and the floor below which it may hold more. */
  restore(newestFirst: Array<[author: string, clientId: string, seq: number, ts: number]>, floor: number): void {
    for (let i = newestFirst.length - 1; i >= 0; i--) this.add(...newestFirst[i]!);
    this.floor = Math.max(this.floor, floor);
  }

  /** Add an event's clientId; seqs must increase. */
  add(author: string, clientId: string, seq: number, ts: number): void {
    if (this.map.get(author, clientId)) return;
    const e: Stored = { author, clientId, seq, ts };
    this.map.set(author, clientId, e);
    this.order.push(e);
    if (this.map.size > this.capacity) {
      const old = this.order[this.head]!;
      this.floor = old.seq;
      this.map.delete(old.author, old.clientId);
      this.order[this.head] = undefined as unknown as Stored;
      this.head++;
      // Compact now and then instead of shifting on every eviction.
      if (this.head > 1024 && this.head * 2 > this.order.length) {
        this.order.splice(0, this.head);
        this.head = 0;
      }
    }
  }

  /** Whether a clientId first sent after the client had seen `base` can be absent from storage
   *  without looking there. */
  covers(base: number | undefined): boolean {
    return this.floor === 0 || (base !== undefined && base >= this.floor);
  }
}
