/**
 * A user's uploads that no message has taken yet, and their bytes (docs/operations.md, "Attachment
 * quota and cleanup"): kept by the user's inbox, the one actor per user on every host, so the cap
 * holds across conversations, nodes and isolates. The edge reserves an upload here before it
 * stores the bytes (refused past the cap: uploads cannot fill the store before the sweep runs); a
 * conversation that commits a message with the user's uploads tells the inbox (InboxUpdate
 * `sentUploads`), which releases them; an upload never sent drops out once the sweep may take it.
 * In the inbox's own storage (a table of its own), so a restart or a Durable Object's eviction does
 * not forget it.
 */
import { NexusError } from "../../protocol/index.ts";
import type { Sql, Statement } from "../storage/sql.ts";

/** Where the uploads are kept: the inbox's database, and its writes (fenced in cluster mode:
 *  sqlInboxStore.ts `write`). */
export interface UploadsStorage {
  readonly sql: Sql;
  write(statements: Statement[]): Promise<void>;
}

export interface PendingUpload {
  conversationId: string;
  id: string;
  size: number;
  /** When the sweep may take it if no message does (upload time + reference window + margin). */
  expiresAt: number;
}

/** Exported for the inbox's migration (a cluster's move fence puts triggers on every inbox table). */
export const pendingUploadsSchema = `CREATE TABLE IF NOT EXISTS pending_uploads (
  user_id TEXT NOT NULL, conv_id TEXT NOT NULL, id TEXT NOT NULL, size INTEGER NOT NULL, expires_ts INTEGER NOT NULL,
  PRIMARY KEY (user_id, conv_id, id))`;

const migrated = new WeakMap<object, Promise<void>>();

export class PendingUploads {
  private readonly sql: Sql;

  constructor(private readonly storage: UploadsStorage, private readonly userId: string, private readonly now: () => number) {
    this.sql = storage.sql;
  }

  private schema(): Promise<void> {
    let m = migrated.get(this.sql);
    if (!m) {
      migrated.set(this.sql, (m = this.sql.run(pendingUploadsSchema).then(() => {})));
      m.catch(() => migrated.delete(this.sql)); // retried by the next call
    }
    return m;
  }

  /** Records `u`, or refuses it (429 `rate_limited`) when the user's pending bytes would pass `capBytes`. */
  async reserve(u: PendingUpload, capBytes: number): Promise<void> {
    await this.schema();
    const now = this.now();
    // Expired ones do not count, and go with the insert (one write, not two).
    const row = await this.sql.first<{ n: number | null; soonest: number | null }>(
      "SELECT sum(size) AS n, min(expires_ts) AS soonest FROM pending_uploads WHERE user_id = ? AND expires_ts > ?", [this.userId, now]);
    const pending = Number(row?.n ?? 0);
    if (pending + u.size > capBytes) {
      const waitS = row?.soonest ? Math.max(1, Math.ceil((Number(row.soonest) - now) / 1000)) : 60;
      throw new NexusError("rate_limited",
        `too many uploads not sent yet: ${pending} bytes are waiting to be sent in a message (at most ${capBytes} per user); send them, or wait until unsent ones expire`,
        { retryAfter: waitS, pendingBytes: pending, maxPendingBytes: capBytes });
    }
    await this.storage.write([
      { sql: "DELETE FROM pending_uploads WHERE user_id = ? AND expires_ts <= ?", args: [this.userId, now] },
      { sql: "INSERT OR REPLACE INTO pending_uploads (user_id, conv_id, id, size, expires_ts) VALUES (?, ?, ?, ?, ?)",
        args: [this.userId, u.conversationId, u.id, u.size, u.expiresAt] },
    ]);
  }

  /** These uploads were sent in a message of `conversationId` (or never stored): no longer pending. */
  async release(conversationId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.schema();
    await this.storage.write([{ sql: `DELETE FROM pending_uploads WHERE user_id = ? AND conv_id = ? AND id IN (${ids.map(() => "?").join(",")})`,
      args: [this.userId, conversationId, ...ids] }]);
  }
}
