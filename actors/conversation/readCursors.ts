/**
 * Read cursors written behind: a cursor that moved (an explicit `read`, or a sender's own message)
 * is stored within ~1 s, not before an ack. They are not messages, and a write per send would
 * cost the commit path a statement per message (at 250 ms a busy conversation still wrote four
 * batches a second, #21). A failed write is retried; a newer cursor wins.
 */
import type { Clock } from "../ports.ts";
import { emptyCommit, type SqlConversationStore } from "../storage/sqlConversationStore.ts";

const FLUSH_MS = 1000;
const RETRY_MS = 1000;

export class ReadCursors {
  private readonly dirty = new Map<string, number>();
  private cancel: (() => void) | null = null;

  constructor(private readonly store: SqlConversationStore, private readonly clock: Clock) {}

  get pending(): boolean {
    return this.dirty.size > 0;
  }

  moved(userId: string, seq: number): void {
    this.dirty.set(userId, seq);
    this.cancel ??= this.clock.schedule(FLUSH_MS, () => void this.flush());
  }

  /** Write what is held now (host shutdown). */
  async flushNow(): Promise<void> {
    if (!this.cancel) return;
    this.cancel();
    await this.flush();
  }

  dispose(): void {
    this.cancel?.();
  }

  private async flush(): Promise<void> {
    this.cancel = null;
    const reads = [...this.dirty];
    this.dirty.clear();
    try {
      await this.store.commit({ ...emptyCommit(), reads });
    } catch {
      for (const [u, seq] of reads) if ((this.dirty.get(u) ?? 0) < seq) this.dirty.set(u, seq);
      this.cancel ??= this.clock.schedule(RETRY_MS, () => void this.flush());
    }
  }
}
