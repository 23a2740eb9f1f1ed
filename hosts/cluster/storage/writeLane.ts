/**
 * One write request at a time from this node to the libSQL server (remoteLibsql.ts): group-commit
 * transactions, single-statement writes (accounts, fencing tokens) and migrations take turns.
 *
 * Why: sqld (0.24.x) hands its write lock to connections through a queue of its own
 * (libsql-server connection_manager.rs), and with many connections asking for it at once that queue
 * can stop for good: every request to the server, reads included, waits for ever, while sqld spins
 * a core (seen in CI as "libSQL server did not answer within 30000 ms" on every node, #16). Each
 * hrana stream is a server connection, so each concurrent write from a node was another contender:
 * 25 loads at once meant 25 fencing-token writes at once. scripts/sqldStall.ts reproduces it with
 * @libsql/client alone: three clients writing 25 at a time stalled the server within seconds in
 * every run; one write at a time per client did not (3 clients, 40 s). With this lane the server
 * sees one writer per node (the group commit had one transaction in flight per node already); many
 * nodes on one server can still be many writers (6 clients writing one at a time stalled it once).
 *
 * A request waits here for the one before it to settle; its own timeout (remoteLibsql.ts `timed`)
 * counts from when it was asked, so a hung server fails queued writes too instead of holding them.
 */
export class WriteLane {
  private tail: Promise<unknown> = Promise.resolve();
  /** Requests waiting or in flight, and sent so far (metrics, tests). */
  pending = 0;
  sent = 0;

  /** Runs `send` after every write asked before it settled, unless `abandoned()` says the caller
   *  gave up meanwhile (then nothing is sent). */
  run<T>(send: () => Promise<T>, abandoned: () => boolean = () => false): Promise<T> {
    this.pending++;
    const result = this.tail.then(() => {
      if (abandoned()) throw new Error("write abandoned before it was sent");
      this.sent++;
      return send();
    });
    const settled = result.then(
      () => {},
      () => {},
    );
    this.tail = settled;
    void settled.then(() => this.pending--);
    return result;
  }
}

/** Statements that only read go beside the lane; anything else (INSERT … RETURNING through
 *  `all`/`first`, UPDATE, DELETE) takes its turn in it. */
export function isReadOnly(sql: string): boolean {
  return /^\s*(SELECT|PRAGMA|EXPLAIN|VALUES)\b/i.test(sql) || (/^\s*WITH\b/i.test(sql) && !/\b(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(sql));
}
