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
import type { ClientIdEntry, Op } from "./state.ts";

export type { ClientIdEntry } from "./state.ts";


export class ClientIdWindow {
  private readonly map = new ClientIdMap<ClientIdEntry>();
  /** Stored entries in seq order; `head` is the oldest still present. */
  private readonly order: ClientIdEntry[] = [];
  private head = 0;
  private stored = 0;
  floor = 0;

  constructor(private readonly capacity: number) {}

  get(author: string, clientId: string): ClientIdEntry | undefined {
    return this.map.get(author, clientId);
  }

  /** Load what storage holds (newest first) and the floor below which it may hold more. */
  restore(newestFirst: Array<[author: string, clientId: string, seq: number, ts: number]>, floor: number): void {
    for (let i = newestFirst.length - 1; i >= 0; i--) {
      const [author, clientId, seq, ts] = newestFirst[i]!;
      if (this.map.get(author, clientId)) continue;
      const e: ClientIdEntry = { author, clientId, seq, ts, op: null };
      this.map.set(author, clientId, e);
      this.remember(e);
    }
    this.floor = Math.max(this.floor, floor);
  }

  /** An op with this clientId is about to be committed (the caller checked it is not here). */
  pend(author: string, clientId: string, op: Op): ClientIdEntry {
    const e: ClientIdEntry = { author, clientId, seq: 0, ts: 0, op };
    this.map.set(author, clientId, e);
    return e;
  }

  /** Its event is stored; seqs must increase from call to call. */
  committed(e: ClientIdEntry, seq: number, ts: number): void {
    e.seq = seq;
    e.ts = ts;
    e.op = null;
    this.remember(e);
  }

  /** It was not stored (failed, or to be tried again). */
  drop(e: ClientIdEntry): void {
    if (e.seq === 0 && this.map.get(e.author, e.clientId) === e) this.map.delete(e.author, e.clientId);
  }

  private remember(e: ClientIdEntry): void {
    this.order.push(e);
    if (++this.stored <= this.capacity) return;
    const old = this.order[this.head]!;
    this.floor = old.seq;
    if (this.map.get(old.author, old.clientId) === old) this.map.delete(old.author, old.clientId);
    this.order[this.head] = undefined as unknown as ClientIdEntry;
    this.head++;
    this.stored--;
    // Compact now and then instead of shifting on every eviction.
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Whether a clientId first sent after the client had seen `base` can be absent from storage
   *  without looking there. */
  covers(base: number | undefined): boolean {
    return this.floor === 0 || (base !== undefined && base >= this.floor);
  }
}
