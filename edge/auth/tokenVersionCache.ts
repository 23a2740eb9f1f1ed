/**
 * Short-lived per-user cache of `token_version`, so verifying an access token does not cost a SQL
 * round trip per request (on Cloudflare that trip goes to a Durable Object). An admin lock on this
 * isolate invalidates the entry at once; other isolates see it within `ttlMs`.
 */
export class TokenVersionCache {
  private readonly entries = new Map<string, { version: number | null; at: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly maxEntries = 50_000,
  ) {}

  /** `null` in the cache means "no such user". */
  async get(userId: string, load: () => Promise<number | null>): Promise<number | null> {
    const hit = this.entries.get(userId);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.version;
    const version = await load();
    this.entries.delete(userId); // re-insert at the end: Map order = age, oldest evicted first
    this.entries.set(userId, { version, at: this.now() });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return version;
  }

  invalidate(userId: string): void {
    this.entries.delete(userId);
  }
}
