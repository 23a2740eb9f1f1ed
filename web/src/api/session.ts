import type { AuthResponse, PublicUser } from "../../../protocol/index.ts";
import { type KeyValueStore, readJson } from "../state/storage.ts";

/**
 * Who is logged in, and their tokens. Persisted so a reload (even an offline one) keeps the person
 * in the app with their queued messages. The access token is short-lived; the refresh token rotates.
 */
export interface SessionData {
  user: PublicUser;
  accessToken: string;
  refreshToken: string;
}

const KEY = "nexus.session";

export class Session {
  private data: SessionData | null;
  private listeners = new Set<() => void>();

  constructor(private readonly store: KeyValueStore) {
    const saved = readJson<SessionData | null>(store, KEY, null);
    this.data = saved && saved.user && saved.accessToken && saved.refreshToken ? saved : null;
  }

  get current(): SessionData | null {
    return this.data;
  }

  set(auth: AuthResponse | SessionData): void {
    this.data = { user: auth.user, accessToken: auth.accessToken, refreshToken: auth.refreshToken };
    this.store.set(KEY, JSON.stringify(this.data));
    this.emit();
  }

  setUser(user: PublicUser): void {
    if (!this.data) return;
    this.set({ ...this.data, user });
  }

  clear(): void {
    this.data = null;
    this.store.remove(KEY);
    this.emit();
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit() {
    for (const fn of this.listeners) fn();
  }
}
