/**
 * Full-text indexing of messages, behind the commit rather than inside it.
 *
 * A trigger per inserted message cost ~25 µs of writer CPU per row and sat on every ack's critical
 * path; indexing the new rows in bulk (`INSERT … SELECT` over a rowid range) costs ~5 µs per row and
 * runs as its own small batches. Rows up to `fts_state.upto` are indexed (conversationSchema.ts).
 *
 * - `noteWrites` after each commit schedules indexing: a whole chunk as soon as one is waiting, the
 *   rest after a short idle delay, so the index trails the log by well under a second at normal load.
 * - `catchUp` indexes everything committed so far; searches call it first, so a search always sees
 *   every message acked before it (read-your-writes), however far the background work trails.
 * One indexer per `Sql` (one database), shared by every conversation stored in it.
 */
import type { Sql } from "./sql.ts";

const CHUNK_ROWS = 2000;
const IDLE_DELAY_MS = 200;
const RETRY_MS = 1000;

export class SearchIndexer {
  private static readonly bySql = new WeakMap<Sql, SearchIndexer>();
  private running: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private unindexed = 0;
  /** A run failed: the next one waits for its retry timer. */
  private retrying = false;
  private stopped = false;

  static for(sql: Sql): SearchIndexer {
    let ix = SearchIndexer.bySql.get(sql);
    if (!ix) SearchIndexer.bySql.set(sql, (ix = new SearchIndexer(sql)));
    return ix;
  }

  private constructor(private readonly sql: Sql) {}

  /** `n` messages were committed: index them soon. Under load only whole chunks are indexed (small
   *  chunks cost ~40% more per row: more FTS segments to merge); the rest waits for a quiet moment. */
  noteWrites(n: number): void {
    this.unindexed += n;
    if (this.stopped || this.running || this.retrying) return;
    if (this.unindexed >= CHUNK_ROWS) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.background(CHUNK_ROWS);
    } else this.timer ??= setTimeout(() => {
      this.timer = null;
      this.background(1);
    }, IDLE_DELAY_MS);
  }

  private background(minRows: number): void {
    if (this.running) return;
    let failed = false;
    this.running = this.run(minRows);
    void this.running
      .catch((e) => {
        failed = true;
        console.error(`[search] indexing failed; retrying in ${RETRY_MS} ms`, e);
      })
      .finally(() => {
        this.running = null;
        if (this.stopped) return;
        // After a failure, wait: retrying at once would spin without yielding while storage fails.
        if (failed) {
          this.retrying = true;
          this.timer = setTimeout(() => {
            this.timer = null;
            this.retrying = false;
            this.background(1);
          }, RETRY_MS);
        }
        // What arrived meanwhile: another whole chunk now, or the rest after the idle delay.
        else if (this.unindexed > 0) this.noteWrites(0);
      });
  }

  /** Host shutdown: no new runs; waits for one in progress (the rest is indexed at the next start). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  /** Index every committed row. Concurrent callers share one run; a run started before a caller's
   *  commit is followed by another, so the caller's rows are covered when this resolves. */
  async catchUp(): Promise<void> {
    while (this.running) await this.running.catch(() => {});
    this.running = this.run(1);
    try {
      await this.running;
    } finally {
      this.running = null;
      if (this.unindexed > 0 && !this.stopped) this.noteWrites(0);
    }
  }

  /** Indexes chunks while at least `minRows` rows are waiting. */
  private async run(minRows: number): Promise<void> {
    for (;;) {
      const r = await this.sql.first<{ upto: number; last: number }>(
        "SELECT upto, (SELECT COALESCE(MAX(rowid), 0) FROM events) AS last FROM fts_state WHERE id = 1");
      const waiting = r ? Number(r.last) - Number(r.upto) : 0;
      this.unindexed = Math.max(0, waiting);
      if (!r || waiting < minRows || waiting <= 0) return;
      const from = Number(r.upto);
      const to = Math.min(Number(r.last), from + CHUNK_ROWS);
      // Guarded by `upto = from`: a concurrent indexer (another process on the same file) cannot
      // index the same range twice.
      await this.sql.batch([
        { sql: `INSERT INTO events_fts (rowid, text) SELECT rowid, text FROM events
                WHERE rowid > ? AND rowid <= ? AND kind = 'message' AND (SELECT upto FROM fts_state WHERE id = 1) = ?`,
          args: [from, to, from] },
        { sql: "UPDATE fts_state SET upto = ? WHERE id = 1 AND upto = ?", args: [to, from] },
      ]);
    }
  }
}
