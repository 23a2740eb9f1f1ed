/**
 * A node's embedded libSQL replica, in a thread of its own (Bun Worker): libSQL's `sync()` is a
 * blocking call in the native binding — pulling frames from the server over HTTP held the main
 * thread for as long as the pull took (p99 fan-out latency went from ~10 ms to ~1 s in the cluster
 * bench). Reads are served here too (a local file: fractions of a millisecond).
 */
import { createClient, type Client } from "@libsql/client";
import { toArgs, toRows } from "./remoteLibsql.ts";
import type { SqlValue } from "../../../actors/storage/sql.ts";

type Msg =
  | { t: "open"; id: number; path: string; syncUrl: string; authToken?: string }
  | { t: "sync"; id: number }
  | { t: "all"; id: number; sql: string; args: SqlValue[] }
  | { t: "close"; id: number };

declare const self: Worker;
/** Pages the sync pulled (what it cost: embeddedReplica.ts weighs it against the reads it serves). */
const framesOf = (r: { frames_synced?: number } | undefined): number => r?.frames_synced ?? 0;
let client: Client | null = null;

self.onmessage = async (e: MessageEvent<Msg>) => {
  const m = e.data;
  try {
    switch (m.t) {
      case "open":
        client = createClient({ url: `file:${m.path}`, syncUrl: m.syncUrl, authToken: m.authToken, intMode: "bigint" });
        return self.postMessage({ id: m.id, frames: framesOf(await client.sync()) });
      case "sync":
        return self.postMessage({ id: m.id, frames: framesOf(await client!.sync()) });
      case "all":
        return self.postMessage({ id: m.id, rows: toRows(await client!.execute({ sql: m.sql, args: toArgs(m.args) })) });
      case "close":
        client?.close();
        client = null;
        return self.postMessage({ id: m.id });
    }
  } catch (err) {
    self.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
};
