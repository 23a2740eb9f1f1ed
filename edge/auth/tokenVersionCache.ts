/**
 * Short-lived per-user cache of `token_version`, so verifying an access token does not cost a SQL
 * round trip per request (on Cloudflare that trip goes to a Durable Object). An admin lock on this
 * isolate invalidates the entry at once; other isolates see it within `ttlMs`. The same cache keeps
 * "is this refresh family revoked" per family (a logout ends that session's access tokens).
 */
import { isNexusError } from "../../protocol/errors.ts";

export class TokenVersionCache<V = number | null> {
  private readonly entries = new Map<string, { version: V; at: number }>();
  /** Bumped by clear(): a load that began before it is answered but not cached (it read older data). */
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly maxEntries = 50_000,
  ) {}

  /**
   * `null` in the cache means "no such user". When `load` fails because storage cannot be reached
   * (issue #16: a storage outage must not sign everyone out), the answer is the last value known,
   * however old, else `whenUnreachable`'s (not cached as fresh, but kept as the
   * last known value, so a ticket issued right after an access token was checked finds it).
   */
  async get(userId: string, load: () => Promise<V>, whenUnreachable?: () => V): Promise<V> {
    const hit = this.entries.get(userId);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.version;
    const generation = this.generation;
    let version: V;
    try {
      version = await load();
    } catch (e) {
      if (!isNexusError(e) || e.code !== "storage_unavailable") throw e;
      if (hit) return hit.version;
      if (!whenUnreachable) throw e;
      const fallback = whenUnreachable();
      this.entries.set(userId, { version: fallback, at: -Infinity });
      return fallback;
    }
    if (generation !== this.generation) return version;
    this.entries.delete(userId); // re-insert at the end: Map order = age, oldest evicted first
    this.entries.set(userId, { version, at: this.now() });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return version;
  }

  invalidate(userId: string): void {
    this.entries.delete(userId);
  }

  /** Forget everything (the store changed elsewhere: AccountReads.onCaughtUp). Last known values go
   *  too: while storage cannot be reached, tokens are then trusted at their signed version. */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}
