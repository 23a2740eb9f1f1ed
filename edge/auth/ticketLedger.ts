/**
 * Single-use socket tickets (issue #18 item 14). A ticket is a 30 s JWT in a socket URL, and URLs
 * end up in logs and proxies: within those 30 s anyone holding it could open more sockets as its
 * user. Each ticket carries a `jti`; opening a socket spends it with one atomic INSERT into the
 * accounts store, which every node of a host shares (the Bun host's file, the Cloudflare directory
 * Durable Object), so a second use is refused on any node. In cluster mode it is the primary of the
 * ticket's region instead (AccountServiceOptions.tickets: no trip to the accounts' far home), and a
 * ticket is opened only in the region that issued it, so it is still spent in one store only.
 * Rows are only needed while their ticket could still verify; expired ones are purged now and then.
 */
import type { Sql } from "../../actors/storage/sql.ts";
import { isNexusError } from "../../protocol/errors.ts";

export const TICKET_MIGRATIONS = [
  `CREATE TABLE IF NOT EXISTS used_tickets (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS used_tickets_expiry ON used_tickets (expires_at)`,
];

/** Purge expired rows every this many spends (and at start). */
const PURGE_EVERY = 500;

export class TicketLedger {
  private spends = 0;

  constructor(
    private readonly sql: Sql,
    private readonly now: () => number,
  ) {}

  /** Tickets spent while the store could not be reached (see `spend`), until they expire. */
  private readonly local = new Map<string, number>();

  /**
   * true the first time `jti` is spent; false ever after (until it could not verify anyway).
   * While the accounts store cannot be reached (issue #16: members must still be able to connect
   * and read), the ticket is spent in this process only: within its 30 s it could open one more
   * socket on another node. That is the price of not tying every reconnect to one database.
   */
  async spend(jti: string, expiresAt: number): Promise<boolean> {
    if (this.local.has(jti)) return false;
    let changes: number;
    try {
      ({ changes } = await this.sql.run(`INSERT INTO used_tickets (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING`, [
        jti,
        expiresAt,
      ]));
    } catch (e) {
      if (!isNexusError(e) || e.code !== "storage_unavailable") throw e;
      const now = this.now();
      for (const [id, until] of this.local) if (until < now) this.local.delete(id);
      this.local.set(jti, expiresAt);
      return true;
    }
    if (++this.spends >= PURGE_EVERY) {
      this.spends = 0;
      void this.purge().catch(() => {});
    }
    return changes === 1;
  }

  async purge(): Promise<number> {
    const { changes } = await this.sql.run(`DELETE FROM used_tickets WHERE expires_at < ?`, [this.now()]);
    return changes;
  }
}
