/**
 * The Bun host's full-text index: a file of its own beside the main one (`nexus.db` →
 * `nexus.search.db`), written by a thread of its own at low CPU priority (libsqlSearch.worker.ts),
 * so indexing never holds up a group commit. Searches run on the main thread's reader connection,
 * which attaches the file as `search`. searchIndexer.ts decides when indexing runs.
 */
import { rmSync } from "node:fs";
import type { FullTextIndex, IndexProgress } from "../../../actors/storage/sql.ts";

/** Nice value of the indexing thread: it gets what the commit path leaves over. */
const INDEX_NICE = 10;

export const searchPathFor = (mainPath: string) => mainPath.replace(/(\.db)?$/, ".search.db");

export class LibsqlSearch implements FullTextIndex {
  readonly table = "search.events_fts";
  private nextId = 1;
  private replies = new Map<number, (error?: string, p?: IndexProgress) => void>();
  private broken: Error | null = null;

  private constructor(private readonly worker: Worker, readonly path: string) {
    worker.onmessage = (e: MessageEvent<{ id: number; error?: string; upto: number; last: number }>) => {
      const reply = this.replies.get(e.data.id);
      this.replies.delete(e.data.id);
      reply?.(e.data.error, { upto: e.data.upto, last: e.data.last });
    };
    worker.onerror = (e) => this.died(e.message);
    worker.addEventListener("close", () => this.died("exited"));
  }

  /** A file that cannot be opened (damaged, or not a database) holds only derived data: it is
   *  deleted and built again from the messages rather than keeping the node from starting. */
  static async open(mainPath: string): Promise<LibsqlSearch> {
    const path = searchPathFor(mainPath);
    try {
      return await LibsqlSearch.start(path, mainPath);
    } catch (e) {
      console.error(`[search] ${(e as Error).message}; rebuilding the index from the messages`);
      for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
      return LibsqlSearch.start(path, mainPath);
    }
  }

  private static async start(path: string, mainPath: string): Promise<LibsqlSearch> {
    const worker = new Worker(new URL("./libsqlSearch.worker.ts", import.meta.url).href);
    try {
      await new Promise<void>((resolve, reject) => {
        worker.onmessage = (e: MessageEvent<{ error?: string }>) =>
          e.data.error ? reject(new Error(`search index failed to open ${path}: ${e.data.error}`)) : resolve();
        worker.onerror = (e) => reject(new Error(`search index thread crashed: ${e.message}`));
        worker.postMessage({ t: "open", path, mainPath, nice: INDEX_NICE });
      });
    } catch (e) {
      worker.terminate();
      throw e;
    }
    return new LibsqlSearch(worker, path);
  }

  progress(): Promise<IndexProgress> {
    return this.call({ t: "progress" });
  }

  chunk(to: number): Promise<IndexProgress> {
    return this.call({ t: "chunk", to });
  }

  private call(m: { t: "progress" } | { t: "chunk"; to: number }): Promise<IndexProgress> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.replies.set(id, (error, p) => (error === undefined ? resolve(p!) : reject(new Error(error))));
      this.worker.postMessage({ ...m, id });
    });
  }

  /** The thread died: what waits on it fails now, and so does every later call (searches answer
   *  with an error instead of hanging; the index is rebuilt at the next start if need be). */
  private died(message: string): void {
    if (this.broken) return; // closed on purpose, or already reported
    this.broken = new Error(`search index thread stopped: ${message}`);
    console.error(`[search] ${this.broken.message}`);
    for (const reply of this.replies.values()) reply(this.broken.message);
    this.replies.clear();
  }

  /** After the indexer stopped (searchIndexer.ts stop): waits for the chunk in progress, then ends the thread. */
  async close(): Promise<void> {
    while (this.replies.size > 0 && !this.broken) await new Promise((r) => setTimeout(r, 5));
    this.broken ??= new Error("search index closed");
    this.worker.terminate();
  }
}
