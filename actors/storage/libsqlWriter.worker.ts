/**
 * The libSQL writer thread (Bun Worker). Commits run here so the fsync of one group commit overlaps
 * with the main thread accepting the next sends; the main thread keeps its own connection for reads
 * (WAL: readers see every committed transaction, never an uncommitted one).
 */
import { createClient, type InStatement } from "@libsql/client";

interface Open { t: "open"; url: string; synchronous: "FULL" | "NORMAL" }
interface Write { t: "write"; id: number; statements: InStatement[] }

declare const self: Worker;
let client: ReturnType<typeof createClient> | null = null;

self.onmessage = async (e: MessageEvent<Open | Write>) => {
  const m = e.data;
  if (m.t === "open") {
    try {
      client = createClient({ url: m.url });
      await client.execute("PRAGMA journal_mode=WAL");
      await client.execute(`PRAGMA synchronous=${m.synchronous}`);
      await client.execute("PRAGMA busy_timeout=5000");
      self.postMessage({ t: "ready" });
    } catch (err) {
      self.postMessage({ t: "ready", error: String(err) });
    }
    return;
  }
  try {
    await client!.batch(m.statements, "write");
    self.postMessage({ t: "done", id: m.id });
  } catch (err) {
    self.postMessage({ t: "done", id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
};
