/**
 * Long-lived hrana streams to sqld for this node's reads (remoteLibsql.ts `all`/`first` of a
 * statement that only reads), instead of a stream per read.
 *
 * Why: @libsql/client's `execute` opens a stream for every call, and sqld a new SQLite connection
 * for every stream (open the file, read and parse the whole schema: tables, indexes, move-fence
 * triggers, FTS), as writeStream.ts found for writes. A bare bench (the search indexer's progress
 * read, bench/README.md fourth pass): ~1.0-1.5 ms of sqld CPU per read through `execute`, ~0.2-0.4
 * ms on a stream kept open; this process ~0.2-0.45 vs ~0.08-0.24 ms. The cluster reads ~10-15 times
 * a second under steady load (the search indexer's progress, loads), and in bursts at connect time.
 *
 * What a read sees does not change: every stream is its own connection in autocommit, so each
 * statement reads the latest committed state, as on a fresh stream.
 *
 * Up to `size` streams, one request at a time each (a stream runs its requests in order, so one slow
 * read, a search or a long history page, holds only its own stream); a read waits for a free one
 * when all are busy. A stream whose request failed other than by an SQL error is dropped (a fresh
 * one is opened next time, on a fresh socket if that one closed), and the read is tried once more on
 * a fresh stream: reads change nothing, and a stream the server had closed (sqld expires idle
 * streams, or restarted) must not fail a caller's read. `reset` drops everything (a timed-out read:
 * remoteLibsql.ts `timed`); the reads it fails are not tried again.
 */
import * as hrana from "@libsql/hrana-client";
import type { InValue, ResultSet } from "@libsql/client/ws";
import { asLibsqlError, isServerAnswer } from "./hranaErrors.ts";

/** The part of @libsql/client's ResultSet that remoteLibsql.ts `toRows` reads. */
export type ReadResult = Pick<ResultSet, "columns" | "rows">;

export class ReadStreams {
  private client: hrana.WsClient | null = null;
  private readonly idle: hrana.WsStream[] = [];
  private busy = 0;
  private readonly waiting: Array<() => void> = [];
  /** Streams opened (metrics, tests): `size` at most while nothing fails. */
  opened = 0;
  private resets = 0;

  constructor(
    private readonly url: string,
    private readonly authToken: string | undefined,
    private readonly size = 6,
  ) {}

  /** Runs the read-only `sql` on a stream of the pool. */
  async query(sql: string, args: InValue[]): Promise<ReadResult> {
    await this.turn();
    const resets = this.resets;
    try {
      try {
        return await this.once(sql, args);
      } catch (e) {
        // Not after a reset: the caller gave up on this read (a timeout), and a server that hangs
        // would only hold the retry too.
        if (isServerAnswer(e) || this.resets !== resets) throw e;
        return await this.once(sql, args); // on a fresh stream: the failed one was dropped
      }
    } catch (e) {
      throw asLibsqlError(e);
    } finally {
      this.busy--;
      this.waiting.shift()?.();
    }
  }

  /** Drops every stream and the socket: the next read opens fresh ones. Reads in flight fail. */
  reset(): void {
    this.resets++;
    const client = this.client;
    this.client = null;
    this.idle.length = 0;
    try {
      client?.close();
    } catch {
      // already closed
    }
  }

  close(): void {
    this.reset();
  }

  /** Waits until fewer than `size` reads are in flight, then counts this one. */
  private async turn(): Promise<void> {
    while (this.busy >= this.size) await new Promise<void>((r) => this.waiting.push(r));
    this.busy++;
  }

  private async once(sql: string, args: InValue[]): Promise<ReadResult> {
    const { stream, client } = await this.take();
    let ok = false;
    try {
      const r = await stream.query(new hrana.Stmt(sql).bindIndexes(args as hrana.InValue[]));
      ok = true;
      return { columns: r.columnNames.map((c) => c ?? ""), rows: r.rows as unknown as ResultSet["rows"] };
    } catch (e) {
      ok = isServerAnswer(e);
      throw e;
    } finally {
      // Back to the pool only if it is on the current socket and nothing odd happened to it.
      if (ok && !stream.closed && client === this.client && !client.closed) this.idle.push(stream);
      else
        try {
          stream.close();
        } catch {
          // already closed
        }
    }
  }

  private async take(): Promise<{ stream: hrana.WsStream; client: hrana.WsClient }> {
    if (!this.client || this.client.closed) {
      this.client = hrana.openWs(this.url, this.authToken);
      this.idle.length = 0;
    }
    const client = this.client;
    for (let s = this.idle.pop(); s; s = this.idle.pop()) if (!s.closed) return { stream: s, client };
    try {
      await client.getVersion();
    } catch (e) {
      if (client === this.client) this.reset(); // the socket failed: the next read opens a new one
      throw e;
    }
    const stream = client.openStream();
    stream.intMode = "bigint";
    this.opened++;
    return { stream, client };
  }
}
