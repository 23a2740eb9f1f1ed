/**
 * When full-text indexing of messages runs: behind the commit rather than inside it.
 *
 * A trigger per inserted message cost ~25 µs of writer CPU per row and sat on every ack's critical
 * path; indexing the new rows in bulk (`INSERT … SELECT` over a rowid range) costs ~5 µs per row.
 * Where the index lives and how a chunk is indexed is the FullTextIndex's business (sql.ts:
 * inlineSearch.ts or libsqlSearch.ts); this class only schedules.
 *
 * - `noteWrites` after each commit schedules indexing: a whole chunk as soon as one is waiting, the
 *   rest after a short idle delay, so the index trails the log by well under a second at normal load.
 * - `catchUp` indexes everything committed so far; searches call it first, so a search always sees
 *   every message acked before it (read-your-writes), however far the background work trails.
 * One indexer per `Sql` (one database), shared by every conversation stored in it.
 */
import { CHUNK_ROWS, inlineSearch } from "./inlineSearch.ts";
import type { FullTextIndex, Sql } from "./sql.ts";

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
    if (!ix) SearchIndexer.bySql.set(sql, (ix = new SearchIndexer(sql.separateIndex ?? inlineSearch(sql))));
    return ix;
  }

  constructor(private readonly index: FullTextIndex) {}

  /** Committed rows not yet indexed, as last counted (a search waits for them: catchUp). */
  get waiting(): number {
    return this.unindexed;
  }

  /** The FTS5 table, as search queries name it. */
  get table(): string {
    return this.index.table;
  }

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

  /** Indexes what is already waiting (rows committed before a restart, or a whole database after an
   *  upgrade), in the background; the host calls it at start. */
  resume(): void {
    this.noteWrites(0);
  }

  /** Host shutdown: no new runs; waits for the chunk in progress (the rest is indexed at the next start). */
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
    this.running = this.run(1, true);
    try {
      await this.running;
    } finally {
      this.running = null;
      if (this.unindexed > 0 && !this.stopped) this.noteWrites(0);
    }
  }

  /** Indexes chunk by chunk while at least `minRows` rows wait, stopping between chunks if the host
   *  stops. Only whole chunks may chase rows committed while it runs: a run for the remainder
   *  (`minRows` 1) stops at what was committed when it started, or under steady load it would follow
   *  the log's tail in tiny chunks (measured: ~60 chunk transactions a second at 2k messages/s in a
   *  cluster, instead of ~5). `catchUp` stops there too, so a search waits for the rows acked before
   *  it, not for every row written while it waits (the thread has low priority). */
  private async run(minRows: number, catchUp = false): Promise<void> {
    let p = await this.index.progress();
    const target = catchUp || minRows <= 1 ? p.last : Infinity;
    for (;;) {
      this.unindexed = Math.max(0, p.last - p.upto);
      const end = Math.min(p.last, target);
      if (end <= p.upto || this.unindexed < minRows || this.stopped) return;
      p = await this.index.chunk(end);
    }
  }
}
