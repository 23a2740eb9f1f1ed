/**
 * This node's writes to the libSQL server (remoteLibsql.ts), in the order they were asked: group
 * commits on the node's one write stream may overlap (up to `pipelined` at once, writeStream.ts), and
 * every other write — single statements that write (accounts, fencing tokens), migrations — runs
 * alone, after everything asked before it settled and before anything asked after it starts.
 *
 * Why one writer per node: sqld (0.24.x) hands its write lock to connections through a queue of its
 * own (libsql-server connection_manager.rs), and with many connections asking for it at once that
 * queue can stop for good: every request to the server, reads included, waits for ever, while sqld
 * spins a core (seen in CI as "libSQL server did not answer within 30000 ms" on every node, #16).
 * Each hrana stream is a server connection, so each concurrent write from a node was another
 * contender: 25 loads at once meant 25 fencing-token writes at once. scripts/sqldStall.ts reproduces
 * it with @libsql/client alone: three clients writing 25 at a time stalled the server within seconds
 * in every run; one write at a time per client did not (3 clients, 40 s). Overlapping group commits
 * do not add a contender: they are requests on the one write stream, which the server runs one after
 * another on one connection (that is what makes them cheap across a slow link: one round trip each,
 * not a wait for the one before). Many nodes on one server can still be many writers (6 clients
 * writing one at a time stalled it once).
 *
 * A request waits here for its turn; its own timeout (remoteLibsql.ts `timed`) counts from when it was
 * asked, so a hung server fails queued writes too instead of holding them.
 */
interface Turn {
  start: () => void;
  /** May run beside other pipelined writes (group commits on the write stream). */
  pipelined: boolean;
}

export class WriteLane {
  private readonly waiting: Turn[] = [];
  private running = 0;
  private runningAlone = false;
  /** Requests waiting or in flight, and sent so far (metrics, tests). */
  pending = 0;
  sent = 0;
  /** The most writes ever in flight at once (tests). */
  mostAtOnce = 0;

  /** `pipelined`: how many group commits may be in flight at once (1: every write alone). */
  constructor(private readonly pipelined = 1) {}

  /** Runs `send` when its turn comes, unless `abandoned()` says the caller gave up meanwhile (then
   *  nothing is sent). `pipelined` writes may overlap each other; any other write runs alone. */
  run<T>(send: () => Promise<T>, abandoned: () => boolean = () => false, pipelined = false): Promise<T> {
    this.pending++;
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        if (abandoned()) {
          reject(new Error("write abandoned before it was sent"));
          this.finished(pipelined);
          return;
        }
        this.sent++;
        this.running++;
        this.runningAlone = !pipelined;
        this.mostAtOnce = Math.max(this.mostAtOnce, this.running);
        let result: Promise<T>;
        try {
          result = send();
        } catch (e) {
          result = Promise.reject(e);
        }
        result.then(resolve, reject).finally(() => {
          this.running--;
          this.finished(pipelined);
        });
      };
      this.waiting.push({ start, pipelined });
      this.next();
    });
  }

  private finished(pipelined: boolean): void {
    this.pending--;
    if (!pipelined) this.runningAlone = false;
    this.next();
  }

  /** Starts waiting writes in order while their kind allows: a lone write waits for an empty lane,
   *  a pipelined one for no lone write and a free place. */
  private next(): void {
    while (this.waiting.length > 0) {
      const head = this.waiting[0]!;
      const may = head.pipelined ? !this.runningAlone && this.running < this.pipelined : this.running === 0;
      if (!may) return;
      this.waiting.shift();
      head.start();
    }
  }
}

/** Statements that only read go beside the lane; anything else (INSERT … RETURNING through
 *  `all`/`first`, UPDATE, DELETE) takes its turn in it. */
export function isReadOnly(sql: string): boolean {
  return /^\s*(SELECT|PRAGMA|EXPLAIN|VALUES)\b/i.test(sql) || (/^\s*WITH\b/i.test(sql) && !/\b(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(sql));
}
