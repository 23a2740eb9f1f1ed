/**
 * Failed-login counting (issue #18 item 3). The old rule — 3 wrong passwords lock the account for
 * everyone — let any stranger lock anyone out, and answered 423 only for names that exist. Now:
 *
 *  - per (username, client IP): 3 failures in a row lock that name *for that IP* for
 *    LOCKOUT_MINUTES (423 `account_locked`). The owner signing in from elsewhere is unaffected.
 *  - per username, across all IPs: after NAME_CEILING failures the name is slowed, never locked:
 *    each further failure makes the next attempt wait (1 s more per failure, at most 30 s; 429
 *    `rate_limited` with `retryAfter`). A botnet spread over many IPs gets ~2 guesses a minute.
 *  - counters are keyed by the name as typed (lower-cased), whether or not it exists, so the
 *    answers (status, body, statements run) are the same for existing and unknown names.
 *  - a counter with no failure for LOCKOUT_MINUTES starts again from zero; a success clears the
 *    IP's counter (not the name-wide one: a guesser must not get a fresh allowance from it).
 *
 * Every change is one atomic upsert, as the Sql may be a remote proxy shared by many isolates.
 *
 * Counting stays at the accounts' one home, also in cluster mode: failures from every region must
 * add up, or a guesser would get a fresh allowance per region. So a wrong password costs a trip to
 * the home. The checks before a login, and whether a success has a counter to clear, read `reads`
 * (in a cluster the node's replica, which trails the home within the bound docs/cluster.md states):
 * a right password with no counter to clear writes nothing. A counter written moments ago that the
 * replica does not show yet is then not cleared: stricter (the next wrong passwords lock sooner), never looser.
 */
import { NexusError } from "../../protocol/errors.ts";
import type { Sql } from "../../actors/storage/sql.ts";
import type { AccountReads } from "./accountReads.ts";

export const LOGIN_FAILURE_MIGRATIONS = [
  // ip = '' is the name-wide row. blocked_until: IP row = locked until; name row = next attempt at.
  `CREATE TABLE IF NOT EXISTS login_failures (
     username TEXT NOT NULL,
     ip TEXT NOT NULL,
     failures INTEGER NOT NULL,
     blocked_until INTEGER,
     last_at INTEGER NOT NULL,
     PRIMARY KEY (username, ip)
   )`,
  `CREATE INDEX IF NOT EXISTS login_failures_last ON login_failures (last_at)`,
];

/** Failures of one name (all IPs) within a window before attempts are slowed. */
export const NAME_CEILING = 10;
const DELAY_STEP_MS = 1000;
export const MAX_DELAY_MS = 30_000;
/** Forgotten rows are purged every this many failures (and at start). */
const PURGE_EVERY = 200;

export interface LoginThrottleOptions {
  maxFailures: number;
  lockoutMs: number;
}

interface Counter {
  failures: number;
  blocked_until: number | null;
}

export class LoginThrottle {
  private sinceMaintenance = 0;

  constructor(
    private readonly sql: Sql,
    private readonly reads: AccountReads,
    private readonly opts: LoginThrottleOptions,
    private readonly now: () => number,
  ) {}

  /** Before the password is checked: 423 if this IP is locked out of `name`, 429 if `name` is slowed. */
  async check(name: string, ip: string): Promise<void> {
    const rows = await this.reads.all<{ ip: string; blocked_until: number | null }>(
      `SELECT ip, blocked_until FROM login_failures WHERE username = ? AND ip IN (?, '') AND blocked_until > ?`,
      [name, ip, this.now()],
    );
    const own = rows.find((r) => r.ip === ip);
    if (own) throw lockedFromHere(Number(own.blocked_until));
    const wide = rows.find((r) => r.ip === "");
    if (wide) throw slowed(Number(wide.blocked_until) - this.now());
  }

  /** Count a wrong password; returns the error to answer with (401, or 423 on the locking failure). */
  async failed(name: string, ip: string): Promise<NexusError> {
    const now = this.now();
    const stale = now - this.opts.lockoutMs;
    const max = this.opts.maxFailures;
    // Old values throughout the SET list (SQLite evaluates it against the row before the update).
    const prior = `(CASE WHEN last_at < ${stale} THEN 0 ELSE failures END)`;
    const [own] = await Promise.all([
      this.sql.first<Counter>(
        `INSERT INTO login_failures (username, ip, failures, blocked_until, last_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (username, ip) DO UPDATE SET
           blocked_until = CASE WHEN ${prior} + 1 >= ? THEN ? ELSE blocked_until END,
           failures = CASE WHEN ${prior} + 1 >= ? THEN 0 ELSE ${prior} + 1 END,
           last_at = excluded.last_at
         WHERE blocked_until IS NULL OR blocked_until <= excluded.last_at
         RETURNING failures, blocked_until`,
        [name, ip, max <= 1 ? 0 : 1, max <= 1 ? now + this.opts.lockoutMs : null, now, max, now + this.opts.lockoutMs, max],
      ),
      this.countName(name, now),
    ]);
    if (++this.sinceMaintenance >= PURGE_EVERY) {
      this.sinceMaintenance = 0;
      void this.purge().catch(() => {});
    }
    // No row back: a concurrent attempt locked it meanwhile.
    if (!own) return lockedFromHere(now + this.opts.lockoutMs);
    if (own.blocked_until !== null && Number(own.blocked_until) > now) return lockedFromHere(Number(own.blocked_until));
    return new NexusError("invalid_credentials", "wrong username or password");
  }

  /** The name-wide count (slows the name past NAME_CEILING; never locks). */
  private async countName(name: string, now: number): Promise<void> {
    const prior = `(CASE WHEN last_at < ${now - this.opts.lockoutMs} THEN 0 ELSE failures END)`;
    await this.sql.run(
      `INSERT INTO login_failures (username, ip, failures, blocked_until, last_at) VALUES (?, '', 1, NULL, ?)
       ON CONFLICT (username, ip) DO UPDATE SET
         failures = ${prior} + 1,
         blocked_until = CASE WHEN ${prior} + 1 > ? THEN ? + MIN(?, (${prior} + 1 - ?) * ?) ELSE NULL END,
         last_at = excluded.last_at`,
      [name, now, NAME_CEILING, now, MAX_DELAY_MS, NAME_CEILING, DELAY_STEP_MS],
    );
  }

  /**
   * A wrong password re-entered by someone already signed in (a password change, an account
   * deletion): counted toward the name's slow-down only, so a stolen access token cannot guess
   * faster than logins can, but the owner is not locked out of their own address.
   */
  async failedReentry(name: string): Promise<void> {
    await this.countName(name, this.now());
  }

  /** The right password from `ip`: its counter starts again. */
  async succeeded(name: string, ip: string): Promise<void> {
    if (!(await this.reads.first(`SELECT 1 AS r FROM login_failures WHERE username = ? AND ip = ?`, [name, ip]))) return;
    await this.sql.run(`DELETE FROM login_failures WHERE username = ? AND ip = ?`, [name, ip]);
  }

  /** Admin unlock: every counter of the name. */
  async clear(name: string): Promise<void> {
    await this.sql.run(`DELETE FROM login_failures WHERE username = ?`, [name]);
  }

  /** Recent failures of each name, all IPs (admin view). */
  async recentFailures(): Promise<Map<string, number>> {
    const rows = await this.sql.all<{ username: string; failures: number }>(
      `SELECT username, failures FROM login_failures WHERE ip = '' AND last_at >= ?`,
      [this.now() - this.opts.lockoutMs],
    );
    return new Map(rows.map((r) => [r.username, Number(r.failures)]));
  }

  /** Drop counters nobody will read again (no failure for a window, no block pending). */
  async purge(): Promise<number> {
    const now = this.now();
    const { changes } = await this.sql.run(
      `DELETE FROM login_failures WHERE last_at < ? AND (blocked_until IS NULL OR blocked_until <= ?)`,
      [now - this.opts.lockoutMs, now],
    );
    return changes;
  }
}

function lockedFromHere(until: number): NexusError {
  return new NexusError("account_locked", "too many failed logins for this account from your address; try again later", {
    until,
    indefinite: false,
    scope: "address",
  });
}

function slowed(ms: number): NexusError {
  const retryAfter = Math.max(1, Math.ceil(ms / 1000));
  return new NexusError("rate_limited", "too many failed logins for this account; wait before trying again", { retryAfter });
}
