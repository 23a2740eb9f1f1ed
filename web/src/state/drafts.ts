/**
 * Unsent text per conversation, kept in the browser (localStorage, one key per user) so a draft
 * survives a reload and the conversation list can show "Draft: …". Kept on the device rather than
 * on the server: a draft changes on every keystroke, and what is typed but not sent stays private
 * to the device it was typed on (as the outbox does, state/outbox.ts).
 */
import { readJson, type KeyValueStore } from "./storage.ts";

/** Drafts kept at most (the newest): a list of thousands of forgotten drafts helps nobody. */
const MAX_DRAFTS = 200;

export class Drafts {
  private texts: Record<string, string>;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly store: KeyValueStore, readonly storageKey: string) {
    this.texts = readJson<Record<string, string>>(store, storageKey, {});
  }

  get(conversationId: string): string {
    return this.texts[conversationId] ?? "";
  }

  set(conversationId: string, text: string): void {
    if ((this.texts[conversationId] ?? "") === text) return;
    const next = { ...this.texts };
    delete next[conversationId]; // re-inserted last: the newest survive the cap
    if (text.trim()) next[conversationId] = text;
    const ids = Object.keys(next);
    for (const id of ids.slice(0, Math.max(0, ids.length - MAX_DRAFTS))) delete next[id];
    this.texts = next;
    if (Object.keys(next).length) this.store.set(this.storageKey, JSON.stringify(next));
    else this.store.remove(this.storageKey);
    for (const fn of this.listeners) fn();
  }

  /** Another tab changed them (the `storage` event). */
  reload(): void {
    this.texts = readJson<Record<string, string>>(this.store, this.storageKey, {});
    for (const fn of this.listeners) fn();
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
