/**
 * The Bun host's full-text index: a file of its own beside the main one (`nexus.db` →
 * `nexus.search.db`), written by a thread of its own at low CPU priority (libsqlSearch.worker.ts),
 * so indexing never holds up a group commit. Searches run on the main thread's reader connection,
 * which attaches the file as `search`. searchIndexer.ts decides when indexing runs.
 */
import type { FullTextIndex } from "./sql.ts";

/** Nice value of the indexing thread: it gets what the commit path leaves over. */
const INDEX_NICE = 10;

export const searchPathFor = (mainPath: string) => mainPath.replace(/(\.db)?$/, ".search.db");

export class LibsqlSearch implements FullTextIndex {
  readonly table = "search.events_fts";
  private nextId = 1;
  private replies = new Map<number, (error?: string, waiting?: number) => void>();

  private constructor(private readonly worker: Worker, readonly path: string) {
    worker.onmessage = (e: MessageEvent<{ id: number; error?: string; waiting?: number }>) => {
      const reply = this.replies.get(e.data.id);
      this.replies.delete(e.data.id);
      reply?.(e.data.error, e.data.waiting);
    };
  }

  static async open(mainPath: string): Promise<LibsqlSearch> {
    const path = searchPathFor(mainPath);
    const worker = new Worker(new URL("./libsqlSearch.worker.ts", import.meta.url).href);
    await new Promise<void>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<{ error?: string }>) =>
        e.data.error ? reject(new Error(`search index failed to open ${path}: ${e.data.error}`)) : resolve();
      worker.onerror = (e) => reject(new Error(`search index thread crashed: ${e.message}`));
      worker.postMessage({ t: "open", path, mainPath, nice: INDEX_NICE });
    });
    worker.onerror = (e) => console.error("[search] index thread error", e.message);
    return new LibsqlSearch(worker, path);
  }

  index(minRows: number): Promise<number> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.replies.set(id, (error, waiting) => (error === undefined ? resolve(waiting ?? 0) : reject(new Error(error))));
      this.worker.postMessage({ t: "index", id, minRows });
    });
  }

  /** After the indexer stopped (searchIndexer.ts stop): waits for a chunk in progress, then ends the thread. */
  async close(): Promise<void> {
    while (this.replies.size > 0) await new Promise((r) => setTimeout(r, 5));
    this.worker.terminate();
  }
}
