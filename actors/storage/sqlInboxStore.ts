/**
 * Storage of one user's inbox: the conversation list (summaries as sent by conversations), the
 * last-seen time, and the status the user chose (online / away) while connected: a Durable Object
 * inbox that hibernates wakes with its sockets still open and must not turn "away" into "online".
 * Derived state: conversations are the source of truth and re-send summaries on every change, so
 * inbox writes are batched behind rather than awaited.
 * In cluster mode every write carries the owner fence's claim (inboxWriterFence.ts), so a node that
 * lost the inbox to another cannot overwrite what the new owner stored.
 */
import { movedError, type ConfirmMoved } from "./movedCheck.ts";
import { defaultNotifySettings, NexusError, NotifySettings, type ConversationSummary, type PushSubscriptionBody } from "../../protocol/index.ts";
import { pendingUploadsSchema } from "../inbox/pendingUploads.ts";
import type { Sql, Statement } from "./sql.ts";
import { clearMoved, movedTo } from "./actorTransfer.ts";
import { INBOX_MOVES, tombstoneSchema } from "./movableKinds.ts";
import { InboxWriterFence } from "./inboxWriterFence.ts";

export const inboxSchema = [
  `CREATE TABLE IF NOT EXISTS inbox_rows (
     user_id TEXT NOT NULL, conv_id TEXT NOT NULL, summary TEXT NOT NULL, last_ts INTEGER NOT NULL,
     PRIMARY KEY (user_id, conv_id))`,
  `CREATE TABLE IF NOT EXISTS last_seen (user_id TEXT PRIMARY KEY, ts INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS chosen_status (user_id TEXT PRIMARY KEY, status TEXT NOT NULL)`,
  // Primary state (not derived): written before a change is acknowledged.
  `CREATE TABLE IF NOT EXISTS notify_settings (user_id TEXT PRIMARY KEY, settings TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS push_subscriptions (
     user_id TEXT NOT NULL, endpoint TEXT NOT NULL, p256dh TEXT NOT NULL, auth TEXT NOT NULL, created INTEGER NOT NULL,
     PRIMARY KEY (user_id, endpoint))`,
  pendingUploadsSchema,
  // Cluster mode: an inbox moved to another region's database leaves a tombstone (actorTransfer.ts).
  tombstoneSchema(INBOX_MOVES),
];

export type ChosenStatus = "online" | "away";

export interface InboxLoad {
  rows: ConversationSummary[];
  lastSeen: number | null;
  chosen: ChosenStatus;
  notify: NotifySettings;
}

export class SqlInboxStore {
  /** Cluster mode: the claim every write carries (inboxWriterFence.ts). */
  private readonly fence: InboxWriterFence | undefined;

  constructor(readonly sql: Sql, readonly userId: string,
    /** Cluster mode: is a tombstone naming `region` current (the home really moved there)? */
    private readonly confirmMoved?: ConfirmMoved, opts: { fenced?: boolean } = {}) {
    this.fence = opts.fenced ? new InboxWriterFence(sql, userId) : undefined;
  }

  static async migrate(sql: Sql): Promise<void> {
    await sql.migrate(inboxSchema);
  }

  /** Everything the actor keeps in memory. Fenced: the token is read before any row, so the first
   *  write's claim fails if anyone wrote after it (inboxWriterFence.ts). */
  async load(): Promise<InboxLoad> {
    await this.fence?.beforeLoad();
    // Moved (or moving) to another region's database (cluster mode): the same answer as a moved
    // conversation's load (sqlConversationStore.ts), which the cluster routes on by `movedTo`.
    const to = await movedTo(INBOX_MOVES, this.sql, this.userId);
    if (to !== null) {
      const check = this.confirmMoved && (await this.confirmMoved(to));
      if (!check || !check.current) throw movedError(`inbox of ${this.userId}`, to, check || undefined);
      await clearMoved(INBOX_MOVES, this.sql, this.userId);
    }
    const [rows, seen, chosen, notify] = await Promise.all([
      this.sql.all<{ summary: string }>("SELECT summary FROM inbox_rows WHERE user_id = ?", [this.userId]),
      this.sql.first<{ ts: number }>("SELECT ts FROM last_seen WHERE user_id = ?", [this.userId]),
      this.sql.first<{ status: string }>("SELECT status FROM chosen_status WHERE user_id = ?", [this.userId]),
      this.loadNotify(),
    ]);
    return {
      rows: rows.map((r) => JSON.parse(r.summary)),
      lastSeen: seen ? Number(seen.ts) : null,
      chosen: chosen?.status === "away" ? "away" : "online",
      notify,
    };
  }

  /** Every write of this inbox (its pending uploads' too): one atomic batch, behind the owner
   *  fence's claim in cluster mode. Nothing to write sends nothing (a claim alone would be a write). */
  write(statements: Statement[]): Promise<void> {
    if (statements.length === 0) return Promise.resolve();
    return this.fence ? this.fence.commit((claim) => this.sql.batch([...claim, ...statements])) : this.sql.batch(statements);
  }

  async loadNotify(): Promise<NotifySettings> {
    const row = await this.sql.first<{ settings: string }>("SELECT settings FROM notify_settings WHERE user_id = ?", [this.userId]);
    const parsed = row ? NotifySettings.safeParse(JSON.parse(row.settings)) : null;
    return parsed?.success ? parsed.data : defaultNotifySettings();
  }

  saveNotify(settings: NotifySettings): Promise<void> {
    return this.write([{ sql: `INSERT INTO notify_settings (user_id, settings) VALUES (?, ?)
      ON CONFLICT (user_id) DO UPDATE SET settings = excluded.settings`, args: [this.userId, JSON.stringify(settings)] }]);
  }

  async pushSubscriptions(): Promise<PushSubscriptionBody[]> {
    const rows = await this.sql.all<{ endpoint: string; p256dh: string; auth: string }>(
      "SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE user_id = ? ORDER BY created", [this.userId]);
    return rows.map((r) => ({ endpoint: r.endpoint, keys: { p256dh: r.p256dh, auth: r.auth } }));
  }

  addPushSubscription(sub: PushSubscriptionBody, now: number): Promise<void> {
    return this.write([{ sql: `INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, created) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (user_id, endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth`,
      args: [this.userId, sub.endpoint, sub.keys.p256dh, sub.keys.auth, now] }]);
  }

  removePushSubscription(endpoint: string): Promise<void> {
    return this.write([{ sql: "DELETE FROM push_subscriptions WHERE user_id = ? AND endpoint = ?", args: [this.userId, endpoint] }]);
  }

  save(upserts: ConversationSummary[], removals: string[], lastSeen?: number, chosen?: ChosenStatus): Promise<void> {
    const st: Statement[] = [];
    for (const c of upserts)
      st.push({ sql: `INSERT INTO inbox_rows (user_id, conv_id, summary, last_ts) VALUES (?, ?, ?, ?)
                      ON CONFLICT (user_id, conv_id) DO UPDATE SET summary = excluded.summary, last_ts = excluded.last_ts`,
        args: [this.userId, c.id, JSON.stringify(c), c.lastTs] });
    for (const id of removals) st.push({ sql: "DELETE FROM inbox_rows WHERE user_id = ? AND conv_id = ?", args: [this.userId, id] });
    if (lastSeen !== undefined)
      st.push({ sql: "INSERT INTO last_seen (user_id, ts) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET ts = excluded.ts", args: [this.userId, lastSeen] });
    if (chosen !== undefined)
      st.push({ sql: "INSERT INTO chosen_status (user_id, status) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET status = excluded.status", args: [this.userId, chosen] });
    return this.write(st);
  }
}
