/**
 * Read-only while storage is unreachable (issue #16). A conversation whose database cannot be reached
 * (cluster mode: its region's libSQL server is down or cut off) used to close every socket and
 * reload, and the reload failed too: nobody could even read. Now the actor keeps its sockets and
 * its memory, and:
 *  - writes are refused at once with the retryable `storage_unavailable` (clients keep them queued
 *    and resend by clientId); a resend of a clientId already stored is still acked as a duplicate;
 *  - every socket gets `{t:"storage",readOnly:true}`, and a welcome meanwhile carries `readOnly`;
 *  - resume replays and history pages come from the newest events kept in memory (EventTail), and
 *    older pages from the node's local replica when it has one (which may trail: it is marked so);
 *  - the primary is probed every PROBE_MS; once it answers, and holds exactly what the actor knows,
 *    writing resumes by itself (`{t:"storage",readOnly:false}`). If it holds more (a batch whose
 *    outcome was unknown was stored after all) the actor is reloaded as before (sockets close with
 *    1001 and resume), which is safe now that storage answers.
 */
import { isNexusError, type ConversationEvent, type MessageEvent } from "../../protocol/index.ts";
import { storageFrame } from "../../protocol/serverFrames.ts";
import { OutcomeUnknownError } from "../storage/sql.ts";
import type { LoadedConversation, SqlConversationStore } from "../storage/sqlConversationStore.ts";
import type { ConversationDeps } from "./deps.ts";
import type { Fanout } from "./fanout.ts";
import type { State } from "./state.ts";

const PROBE_MS = 500;
type Page = { events: ConversationEvent[]; hasMore: boolean };
/** Kinds a history page shows (as SqlConversationStore's PAGE_KINDS). */
const PAGE_KINDS = new Set(["message", "member", "rename", "profile", "created", "call"]);

/** The failure of a commit or read that says "the database cannot be reached" (not a refusal by it). */
export function isStorageOutage(e: unknown): boolean {
  return e instanceof OutcomeUnknownError || (isNexusError(e) && e.code === "storage_unavailable");
}

/**
 * A conversation's load: from the primary, or, when the primary is unreachable and the host can
 * reload the actor later (`canReadStale`), from the node's replica, with the outage that made it so.
 * null: no such conversation. A replica without the conversation rethrows the outage.
 */
export async function loadOrStale(store: SqlConversationStore, canReadStale: boolean): Promise<{ loaded: LoadedConversation; outage: unknown } | null> {
  try {
    const loaded = await store.load();
    return loaded && { loaded, outage: null };
  } catch (e) {
    if (!isStorageOutage(e) || !canReadStale) throw e;
    const loaded = await store.staleLoad().catch(() => null);
    if (!loaded) throw e;
    return { loaded, outage: e };
  }
}

/** The newest committed events of a conversation, in seq order, without gaps. */
export class EventTail {
  private events: ConversationEvent[] = [];

  constructor(private readonly size = 2000) {}

  get first(): number | undefined {
    return this.events[0]?.seq;
  }

  push(e: ConversationEvent): void {
    const last = this.events.at(-1);
    if (last && e.seq !== last.seq + 1) this.events = []; // a gap (reloaded elsewhere): start again
    this.events.push(e);
    if (this.events.length > this.size * 1.5) this.events = this.events.slice(-this.size);
  }

  /** Events in (after, upTo], or null when the tail does not hold all of them. */
  range(after: number, upTo: number): ConversationEvent[] | null {
    if (upTo <= after) return [];
    const first = this.events[0]?.seq;
    const last = this.events.at(-1)?.seq;
    if (first === undefined || last === undefined || first > after + 1 || last < upTo) return null;
    return this.events.slice(after + 1 - first, upTo + 1 - first);
  }

  /** A history page from memory; null when memory holds nothing before `before`. */
  page(before: number, limit: number, newest: number, current: (seq: number) => MessageEvent | undefined): Page | null {
    const first = this.events[0]?.seq;
    if (first === undefined || first >= before || this.events.at(-1)!.seq < newest) return null;
    const out: ConversationEvent[] = [];
    let i = Math.min(this.events.length, before - first) - 1;
    for (; i >= 0 && out.length < limit; i--) {
      const e = this.events[i]!;
      if (PAGE_KINDS.has(e.kind)) out.push(e.kind === "message" ? (current(e.seq) ?? e) : e);
    }
    // More before: in the tail, or in storage below it (seq 1 is `created`).
    return { events: out.reverse(), hasMore: i >= 0 || first > 1 };
  }
}

export interface OutageHost {
  readonly id: string;
  readonly deps: ConversationDeps;
  readonly fanout: Fanout;
  current(): State | null;
  /** Every batch submitted so far has settled. */
  drained(): Promise<void>;
  /** Refuse writes without trying storage. */
  stopWrites(): void;
  /** Write again (storage holds exactly the state). */
  resumeWrites(): void;
  /** Storage holds more than the state: reload. */
  diverged(): void;
}

export class StorageOutage {
  active = false;
  /** Loaded from the replica during the outage (it may trail, and the load skipped what only the
   *  primary gives, e.g. a fencing token): reload from the primary once it answers. */
  reloadWhenBack = false;
  private cancel: (() => void) | null = null;
  private disposed = false;

  constructor(private readonly host: OutageHost) {}

  /** The newest events, for reads while storage is unreachable. */
  readonly tail = new EventTail();

  /** A history page; when storage cannot be reached, from memory or the local replica (read-only). */
  async page(read: () => Promise<Page>, before: number | undefined, limit: number, current: (seq: number) => MessageEvent | undefined): Promise<Page> {
    try {
      return await read();
    } catch (e) {
      const s = this.host.current();
      if (!s || !this.fallsBack(e)) throw e;
      const fromMemory = this.tail.page(Math.min(before ?? Infinity, s.lastSeq + 1), limit, s.lastSeq, current);
      if (fromMemory) return fromMemory;
      try {
        return await this.host.deps.store.stalePage(before, limit);
      } catch {
        throw e;
      }
    }
  }

  /** A resume replay; when storage cannot be reached, from memory, and what memory no longer holds
   *  from the node's replica if it has all of it (a replay must have no gap). */
  async replay(read: () => Promise<ConversationEvent[]>, after: number, upTo: number): Promise<ConversationEvent[]> {
    try {
      return await read();
    } catch (e) {
      if (!this.fallsBack(e)) throw e;
      const fromMemory = this.tail.range(after, upTo);
      if (fromMemory) return fromMemory;
      const first = Math.min(this.tail.first ?? upTo + 1, upTo + 1);
      const newer = this.tail.range(first - 1, upTo);
      const older = await this.host.deps.store.staleRange(after, first - 1).catch(() => null);
      if (!newer || !older || older.length !== first - 1 - after || older.some((ev, i) => ev.seq !== after + 1 + i)) throw e;
      return [...older, ...newer];
    }
  }

  /** A read failed because storage is unreachable: go read-only (if not yet) and answer from memory. */
  private fallsBack(e: unknown): boolean {
    if (!isStorageOutage(e) || !this.host.deps.onDiverged) return false;
    this.host.stopWrites();
    this.begin(e);
    return true;
  }

  /** Storage could not be reached: read-only until the primary answers again. */
  begin(reason: unknown): void {
    if (this.active || this.disposed) return;
    this.active = true;
    console.error(`[conversation ${this.host.id}] storage unreachable, read-only until it answers:`, (reason as Error)?.message ?? reason);
    this.host.fanout.broadcast(storageFrame(true), 0);
    this.schedule();
  }

  /** A write while read-only. */
  dispose(): void {
    this.disposed = true;
    this.cancel?.();
  }

  private schedule(): void {
    this.cancel = this.host.deps.clock.schedule(PROBE_MS, () => void this.probe());
  }

  private async probe(): Promise<void> {
    this.cancel = null;
    if (this.disposed) return;
    await this.host.drained(); // nothing may still be on its way to storage when heads are compared
    let head: number;
    try {
      head = await this.host.deps.store.head();
    } catch {
      return this.schedule();
    }
    if (this.disposed) return;
    const s = this.host.current();
    this.active = false;
    if (this.reloadWhenBack) this.host.diverged();
    else if (s === null || head === s.lastSeq || !this.host.deps.onDiverged) {
      this.host.resumeWrites();
      console.error(`[conversation ${this.host.id}] storage answers again at seq ${head}: writable`);
      this.host.fanout.broadcast(storageFrame(false), 0);
    } else this.host.diverged();
  }
}
