import type { PublicUser } from "../../../protocol/index.ts";
import { createSignal } from "solid-js";
import type { Api } from "../api/client.ts";
import { ImageUrls } from "./imageUrls.ts";
import { DELETED_USER } from "../state/names.ts";

/** How long a fetched profile is trusted before the next read asks again (someone renamed). */
const FRESH_MS = 60_000;
/** Every known profile is asked for again this often: a change is pushed (a `presence` frame with
 *  `profile`, LiveSession), and this catches what a client missed while offline. */
const REFRESH_EVERY_MS = 60_000;

/**
 * Profiles (display name, status, avatar) of the people this session shows, fetched in batches
 * (GET /v1/users/profiles) as names are read, and kept for a few minutes. Reads are reactive: a
 * name read in JSX re-renders once its profile arrives. Avatar images are object URLs per version
 * (imageUrls.ts): a new avatar is a new URL.
 * Known profiles are refreshed every minute and when the window regains focus after one.
 */
export class People {
  private readonly known = new Map<string, { user: PublicUser; at: number }>();
  private readonly wanted = new Set<string>();
  private readonly inFlight = new Set<string>();
  private readonly images = new ImageUrls();
  private readonly version = createSignal(0);
  private scheduled = false;
  /** Whose profile card is open (Shell shows it): set by clicking a name or an avatar anywhere. */
  readonly card = createSignal<string | null>(null);

  openCard(userId: string): void {
    this.card[1](userId);
  }

  private readonly timer: ReturnType<typeof setInterval>;
  private readonly onFocus = () => this.refreshStale(10_000);

  constructor(private readonly api: Api, private readonly now: () => number = Date.now) {
    this.timer = setInterval(() => this.refreshStale(REFRESH_EVERY_MS / 2), REFRESH_EVERY_MS);
    addEventListener("focus", this.onFocus);
  }

  /** Asks again for every known profile fetched more than `olderThanMs` ago. */
  refreshStale(olderThanMs: number): void {
    const now = this.now();
    for (const [id, k] of this.known) if (k.user.username && now - k.at > olderThanMs) this.want(id);
  }

  /** The profile, if known (asks for it otherwise: read again after it arrives). */
  get(userId: string): PublicUser | undefined {
    this.version[0]();
    const k = this.known.get(userId);
    if (!k || this.now() - k.at > FRESH_MS) this.want(userId);
    return k?.user;
  }

  /** The name to show: the display name, else `username`; a deleted account is "Deleted user". */
  displayName(userId: string, username: string): string {
    const u = this.get(userId);
    return u?.deleted ? DELETED_USER : (u?.displayName ?? username);
  }

  /** Something told us a newer profile (my own update, a directory answer): keep it. */
  put(users: readonly PublicUser[]): void {
    for (const u of users) this.known.set(u.id, { user: u, at: this.now() });
    this.version[1]((v) => v + 1);
  }

  /** Ask again now (a profile card opens). */
  async refresh(userId: string): Promise<PublicUser | undefined> {
    this.put(await this.api.profiles([userId]));
    return this.known.get(userId)?.user;
  }

  /** Object URL of the user's avatar at `size`, or null while loading / when there is none. */
  avatarUrl(userId: string, size: 64 | 256): string | null {
    const version = this.get(userId)?.avatar;
    if (!version) return null;
    return this.images.get(`${userId}:${version}:${size}`, () => this.api.avatarBlob(userId, version, size));
  }

  dispose(): void {
    clearInterval(this.timer);
    removeEventListener("focus", this.onFocus);
    this.images.dispose();
  }

  private want(userId: string): void {
    if (this.inFlight.has(userId) || !userId) return;
    this.wanted.add(userId);
    if (this.scheduled) return;
    this.scheduled = true;
    // One request for every name read in this turn (a list renders many at once).
    queueMicrotask(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const ids = [...this.wanted].slice(0, 200);
    for (const id of ids) {
      this.wanted.delete(id);
      this.inFlight.add(id);
    }
    if (this.wanted.size > 0) this.want([...this.wanted][0]!);
    if (ids.length === 0) return;
    try {
      const users = await this.api.profiles(ids);
      const now = this.now();
      // Unknown ids (deleted accounts) are remembered as "no profile" so they are not asked again.
      for (const id of ids) if (!users.some((u) => u.id === id) && !this.known.has(id)) this.known.set(id, { user: { id, username: "", role: "user", createdAt: 0 }, at: now });
      this.put(users);
    } catch {
      // Offline or refused: names fall back to usernames; the next read after FRESH_MS asks again.
    } finally {
      for (const id of ids) this.inFlight.delete(id);
    }
  }
}
