/**
 * Who is typing. Ephemeral by design: never stored, expires `ttlMs` after the last refresh.
 * One timer per tracker (not per user) sweeps expired entries.
 */
import type { Clock } from "../ports.ts";

export class TypingTracker {
  private until = new Map<string, number>();
  private cancel: (() => void) | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    /** Called when someone starts or stops typing (including expiry). */
    private readonly changed: (userId: string, on: boolean) => void,
  ) {}

  set(userId: string, on: boolean): void {
    const was = this.until.has(userId);
    if (on) {
      this.until.set(userId, this.clock.now() + this.ttlMs);
      if (!was) this.changed(userId, true);
      this.arm();
    } else if (was) {
      this.until.delete(userId);
      this.changed(userId, false);
    }
  }

  has(userId: string): boolean {
    return this.until.has(userId);
  }

  who(): string[] {
    return [...this.until.keys()];
  }

  private arm(): void {
    if (this.cancel) return;
    let next = Infinity;
    for (const t of this.until.values()) next = Math.min(next, t);
    if (next === Infinity) return;
    this.cancel = this.clock.schedule(Math.max(10, next - this.clock.now()), () => {
      this.cancel = null;
      const now = this.clock.now();
      for (const [u, t] of this.until)
        if (t <= now) {
          this.until.delete(u);
          this.changed(u, false);
        }
      this.arm();
    });
  }

  dispose(): void {
    this.cancel?.();
    this.cancel = null;
  }
}
