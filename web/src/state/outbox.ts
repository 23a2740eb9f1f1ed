import type { AttachmentRef } from "../../../protocol/index.ts";
import { type KeyValueStore, readJson } from "./storage.ts";

/**
 * The offline send queue. Every send goes through it, online or not: the row is shown at once
 * (optimistic), persisted before anything touches the network (so a reload keeps it), and removed
 * only when the server acknowledged it. Resends reuse the clientId, so the conversation actor
 * answers a repeat with the original seq instead of storing a second copy.
 *
 * Bounded (PartyServer's lesson: an unbounded client queue grows until the tab dies): when full,
 * `enqueue` refuses and the UI tells the person.
 */
export interface OutboxItem {
  clientId: string;
  conversationId: string;
  text: string;
  replyTo?: number;
  attachments?: AttachmentRef[];
  mentions?: string[];
  createdAt: number;
  /** The newest seq of the conversation this client had seen when the message was written: sent with
   *  every attempt, it lets the server check for an earlier copy cheaply (protocol/events.ts `Base`). */
  base?: number;
  attempts: number;
  /** Set when the server refused it for good (e.g. not a member): kept for the person to retry or discard. */
  error?: string;
}

export type EnqueueResult = { ok: true } | { ok: false; reason: "full" };

export class Outbox {
  private list: OutboxItem[];
  private listeners = new Set<() => void>();

  constructor(
    private readonly store: KeyValueStore,
    private readonly key: string,
    readonly capacity = 200,
  ) {
    const saved = readJson<OutboxItem[]>(store, key, []);
    this.list = Array.isArray(saved) ? saved.filter((i) => i && typeof i.clientId === "string") : [];
  }

  /**
   * Another tab of the same person changed the stored queue (it sent or queued something): adopt
   * the stored list. Both tabs may try the same item; the shared clientId makes that harmless.
   */
  reload(): void {
    const saved = readJson<OutboxItem[]>(this.store, this.key, []);
    this.list = Array.isArray(saved) ? saved.filter((i) => i && typeof i.clientId === "string") : [];
    this.emit();
  }

  get storageKey(): string {
    return this.key;
  }

  items(): readonly OutboxItem[] {
    return this.list;
  }

  forConversation(conversationId: string): OutboxItem[] {
    return this.list.filter((i) => i.conversationId === conversationId);
  }

  get size(): number {
    return this.list.length;
  }

  enqueue(item: Omit<OutboxItem, "attempts" | "createdAt"> & { createdAt?: number }): EnqueueResult {
    if (this.list.length >= this.capacity) return { ok: false, reason: "full" };
    if (this.list.some((i) => i.clientId === item.clientId)) return { ok: true };
    this.list = [...this.list, { ...item, createdAt: item.createdAt ?? Date.now(), attempts: 0 }];
    this.commit();
    return { ok: true };
  }

  /** The oldest item still to be sent; items a server refused are skipped until retried. */
  head(): OutboxItem | undefined {
    return this.list.find((i) => !i.error);
  }

  markAttempt(clientId: string): void {
    this.update(clientId, (i) => ({ ...i, attempts: i.attempts + 1 }));
  }

  /** Acknowledged by the server: it is durable there, drop our copy. */
  ack(clientId: string): void {
    const before = this.list.length;
    this.list = this.list.filter((i) => i.clientId !== clientId);
    if (this.list.length !== before) this.commit();
  }

  fail(clientId: string, error: string): void {
    this.update(clientId, (i) => ({ ...i, error }));
  }

  retry(clientId: string): void {
    this.update(clientId, (i) => {
      const { error: _drop, ...rest } = i;
      return rest;
    });
  }

  discard(clientId: string): void {
    this.ack(clientId);
  }

  /** Forget everything (logout). */
  clear(): void {
    this.list = [];
    this.store.remove(this.key);
    this.emit();
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private update(clientId: string, f: (i: OutboxItem) => OutboxItem): void {
    let changed = false;
    this.list = this.list.map((i) => {
      if (i.clientId !== clientId) return i;
      changed = true;
      return f(i);
    });
    if (changed) this.commit();
  }

  private commit(): void {
    this.store.set(this.key, JSON.stringify(this.list));
    this.emit();
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }
}
