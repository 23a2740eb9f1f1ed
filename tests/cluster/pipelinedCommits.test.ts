/**
 * More than one group commit in flight per node (#15: "so a commit that does cross a link costs one
 * round trip, not two"), against a real sqld behind the delaying proxy (25 ms one way):
 * - the write stream's promise that makes it safe: a transaction sent behind one that fails never
 *   commits, whether the failure left the connection inside its transaction (a constraint) or outside
 *   it (SQLite rolled back by itself: INSERT OR ROLLBACK);
 * - the group commit: a chain's batches overlap across the link and commit in order; when an earlier
 *   transaction fails, the chain's later batch that was already on its way is not committed before
 *   the retry, a failed chain's later batch is refused, and other chains lose nothing;
 * - a lost connection with several transactions in flight: every one is reported unknown, nothing is
 *   applied twice, and the Sql goes on.
 * Latency is the bench's (`npm run bench -- --pipelined`), not asserted here.
 */
import { describe, expect, test } from "bun:test";
import { openRemoteLibsql, type RemoteLibsqlSql } from "../../hosts/cluster/storage/remoteLibsql.ts";
import { WriteStream } from "../../hosts/cluster/storage/writeStream.ts";
import { ChainBrokenError, type CommitChain, type Statement } from "../../actors/storage/sql.ts";
import { startWanProxy, type WanProxy } from "../../scripts/lib/wanProxy.mjs";
import { useSqld } from "./sqldFixture.ts";

const sqld = useSqld();
const ONE_WAY_MS = 25;

let tables = 0;
async function farSql(proxy: WanProxy, opts: { commitIntervalMs?: number; commitsInFlight?: number } = {}) {
  const s = await openRemoteLibsql(`http://127.0.0.1:${proxy.port}`, { commitIntervalMs: opts.commitIntervalMs ?? 5, commitsInFlight: opts.commitsInFlight });
  sqld.opened.push(s);
  const t = `p${++tables}_${Date.now()}`;
  await s.migrate([`CREATE TABLE IF NOT EXISTS ${t} (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`]);
  const put = (k: string, v: number | null = 1): Statement => ({ sql: `INSERT INTO ${t} (k, v) VALUES (?, ?)`, args: [k, v] });
  /** Keys in the order they were committed. */
  const committed = async (on: RemoteLibsqlSql = s) => (await on.all<{ k: string }>(`SELECT k FROM ${t} ORDER BY rowid`)).map((r) => r.k);
  return { s, t, put, committed };
}

async function withProxy<T>(run: (proxy: WanProxy) => Promise<T>): Promise<T> {
  const proxy = await startWanProxy({ target: { port: sqld.server.port }, delayMs: ONE_WAY_MS });
  try {
    return await run(proxy);
  } finally {
    await proxy.close();
  }
}

const outcome = (p: Promise<unknown>) => p.then(() => "ok", (e) => (e instanceof ChainBrokenError ? "chain" : "failed"));
const args = (s: Statement) => ({ sql: s.sql, args: (s.args ?? []).map((a) => (typeof a === "number" ? BigInt(a) : a)) });

describe("the write stream: a transaction sent behind a failed one does not commit", () => {
  for (const [how, failing] of [
    ["a constraint (the connection stays inside the failed transaction)", (put: (k: string, v?: number | null) => Statement) => [put("a1"), put("a2", null)]],
    ["SQLite rolled the transaction back by itself (outside it: the stream opens one to block)", (put: (k: string, v?: number | null) => Statement) => [put("a1"), { ...put("a2", null), sql: put("a2").sql.replace("INSERT INTO", "INSERT OR ROLLBACK INTO") }]],
  ] as const) {
    test(how, () =>
      withProxy(async (proxy) => {
        const { s, put, committed } = await farSql(proxy);
        const stream = new WriteStream(`ws://127.0.0.1:${proxy.port}`);
        try {
          // Both sent before the first answer can be back (one round trip is 50 ms).
          const first = stream.transaction(failing(put).map(args));
          const behind = stream.transaction([put("b1")].map(args));
          expect(await outcome(first)).toBe("failed");
          expect(await outcome(behind)).toBe("failed");
          expect(await committed()).toEqual([]);
          // Refused until the failure is being handled; then the stream goes on (a new connection).
          expect(await outcome(stream.transaction([put("c1")].map(args)))).toBe("failed");
          stream.unblock();
          await stream.transaction([put("c2")].map(args));
          expect(await committed()).toEqual(["c2"]);
          expect(stream.opened).toBe(2);
        } finally {
          stream.close();
          void s;
        }
      }),
    );
  }
});

describe("group commits in flight across a slow link", () => {
  test("a chain submitting every 10 ms: transactions overlap, every batch commits once, in order", () =>
    withProxy(async (proxy) => {
      const { s, put, committed } = await farSql(proxy);
      const chain: CommitChain = { failed: false };
      const acks: Promise<void>[] = [];
      for (let i = 0; i < 30; i++) {
        acks.push(s.batch([put(`m${String(i).padStart(2, "0")}`, i)], chain));
        await Bun.sleep(10);
      }
      await Promise.all(acks);
      expect(chain.failed).toBe(false);
      expect(s.writes.mostAtOnce).toBeGreaterThan(1);
      expect(await committed()).toEqual(Array.from({ length: 30 }, (_, i) => `m${String(i).padStart(2, "0")}`));
    }));

  test("one transaction in flight when asked for (commitsInFlight 1): no overlap", () =>
    withProxy(async (proxy) => {
      const { s, put, committed } = await farSql(proxy, { commitsInFlight: 1 });
      const chain: CommitChain = { failed: false };
      const acks: Promise<void>[] = [];
      for (let i = 0; i < 8; i++) {
        acks.push(s.batch([put(`m${i}`, i)], chain));
        await Bun.sleep(10);
      }
      await Promise.all(acks);
      expect(s.writes.mostAtOnce).toBe(1);
      expect(await committed()).toEqual(Array.from({ length: 8 }, (_, i) => `m${i}`));
    }));

  test("an earlier transaction fails while the next is on its way: the failed chain stops, the others commit in order", () =>
    withProxy(async (proxy) => {
      const { s, put, committed } = await farSql(proxy);
      const x: CommitChain = { failed: false }; // its first batch is bad (v NOT NULL)
      const c: CommitChain = { failed: false }; // innocent, in the same transactions
      const x1 = outcome(s.batch([put("x1", null)], x));
      const c1 = outcome(s.batch([put("c1")], c));
      await Bun.sleep(12); // the first transaction is on the link (50 ms round trip)
      const x2 = outcome(s.batch([put("x2")], x));
      const c2 = outcome(s.batch([put("c2")], c));
      const free = outcome(s.batch([put("free")]));
      expect(await Promise.all([x1, c1, x2, c2, free])).toEqual(["failed", "ok", "chain", "ok", "ok"]);
      expect(s.writes.mostAtOnce).toBeGreaterThan(1);
      expect(x.failed).toBe(true);
      expect(c.failed).toBe(false);
      // c2 was sent behind the failed transaction, yet commits only after c1's retry.
      const order = await committed();
      expect(order.filter((k) => k.startsWith("c"))).toEqual(["c1", "c2"]);
      expect(order.sort()).toEqual(["c1", "c2", "free"]);
      // And the Sql goes on overlapping afterwards.
      await Promise.all([s.batch([put("d1")], c), Bun.sleep(10).then(() => s.batch([put("d2")], c))]);
      expect((await committed()).slice(-2)).toEqual(["d1", "d2"]);
    }));

  test("the connection is cut with several transactions in flight: all unknown, none applied twice, then it goes on", () =>
    withProxy(async (proxy) => {
      const { s, t, put, committed } = await farSql(proxy);
      await s.batch([put("counter", 0)]);
      const chain: CommitChain = { failed: false };
      const bump: Statement = { sql: `UPDATE ${t} SET v = v + 1 WHERE k = 'counter'` };
      const results: Promise<string>[] = [];
      for (let i = 0; i < 4; i++) {
        results.push(outcome(s.batch([bump, put(`n${i}`)], chain)));
        await Bun.sleep(8);
      }
      expect(s.writes.mostAtOnce).toBeGreaterThan(1);
      proxy.pause(); // cuts every connection: answers on their way are lost
      const seen = await Promise.all(results);
      proxy.resume();
      expect(seen.every((r) => r === "failed" || r === "chain")).toBe(true);
      expect(chain.failed).toBe(true);
      // What the server holds is a prefix of the chain, each applied once: the counter says how many.
      const { v } = (await s.first<{ v: number }>(`SELECT v FROM ${t} WHERE k = 'counter'`))!;
      const rows = (await committed()).filter((k) => k !== "counter");
      expect(rows).toEqual(Array.from({ length: v }, (_, i) => `n${i}`));
      await s.batch([put("after")]);
      expect(await committed()).toContain("after");
    }));
});

describe("review: what a failed transaction does to those sent behind it", () => {
  test("an innocent batch alone in the transaction behind a failed one is retried, not rejected", () =>
    withProxy(async (proxy) => {
      const { s, put, committed } = await farSql(proxy);
      const x: CommitChain = { failed: false };
      const c: CommitChain = { failed: false };
      const x1 = outcome(s.batch([put("x1", null)], x)); // fails: v NOT NULL
      await Bun.sleep(12); // on the link (50 ms round trip): the next one is a transaction of its own
      const c1 = outcome(s.batch([put("c1")], c));
      expect(await Promise.all([x1, c1])).toEqual(["failed", "ok"]);
      expect(s.writes.mostAtOnce).toBeGreaterThan(1);
      expect(c.failed).toBe(false);
      expect(await committed()).toEqual(["c1"]);
    }));

  test("a chain's later batch alone behind its failed earlier one is refused as a broken chain, unwritten", () =>
    withProxy(async (proxy) => {
      const { s, put, committed } = await farSql(proxy);
      const x: CommitChain = { failed: false };
      const x1 = outcome(s.batch([put("x1", null)], x));
      await Bun.sleep(12);
      const x2 = outcome(s.batch([put("x2")], x));
      expect(await Promise.all([x1, x2])).toEqual(["failed", "chain"]);
      expect(await committed()).toEqual([]);
    }));

  test("SQLITE_BUSY at BEGIN IMMEDIATE is still tried again (the stream's refusal after a failure does not fail a lone batch)", () =>
    withProxy(async (proxy) => {
      const { s, put, committed } = await farSql(proxy);
      // A writer outside sqld holds the database's write lock: sqld cannot hand it over (it steals
      // only from its own connections), so the write stream's BEGIN IMMEDIATE is answered SQLITE_BUSY
      // quickly, and retryWhileBusy's next attempts (20-100 ms apart) find it released.
      const { Database } = await import("bun:sqlite");
      const { join } = await import("node:path");
      const outside = new Database(join(sqld.server.dir, "data.sqld", "dbs", "default", "data"));
      outside.exec("BEGIN IMMEDIATE");
      const release = Bun.sleep(400).then(() => outside.exec("ROLLBACK"));
      try {
        const r = await s.batch([put("after-busy")]).then(() => "ok", (e) => String(e));
        expect(r).toBe("ok");
      } finally {
        await release;
        outside.close();
      }
      expect(await committed()).toEqual(["after-busy"]);
    }));

  test("a transaction the server refuses whole (nothing of it ran) does not let the chain's later batch, sent behind it, commit", () =>
    withProxy(async (proxy) => {
      const { s, put, committed } = await farSql(proxy);
      await s.batch([put("before")]); // the stream now carries the savepoint a commit leaves
      const x: CommitChain = { failed: false };
      // sqld cannot parse it: the whole batch is answered with an error (SQL_PARSE_ERROR), no step runs.
      const x1 = outcome(s.batch([put("x1"), { sql: "PRAGMA busy_timeout = 0" }], x));
      await Bun.sleep(12);
      const x2 = outcome(s.batch([put("x2")], x));
      const seen = await Promise.all([x1, x2]);
      expect(seen[0]).toBe("failed");
      expect(x.failed).toBe(true);
      expect(await committed()).toEqual(["before"]);
      expect(seen[1]).not.toBe("ok");
    }));
});

describe("review: the savepoint a commit leaves open on the write stream", () => {
  test("holds no lock and is not lost: other connections write (and migrate) meanwhile, and the stream goes on after an idle spell", () =>
    withProxy(async (proxy) => {
      const { s, t, put, committed } = await farSql(proxy);
      await s.batch([put("first")]);
      const { createClient } = await import("@libsql/client/ws");
      const other = createClient({ url: sqld.server.url.replace(/^http/, "ws") });
      try {
        // Would wait for the lock (and time out) if the idle stream held it.
        const started = performance.now();
        await other.execute({ sql: `INSERT INTO ${t} (k, v) VALUES ('other', 1)`, args: [] });
        await other.execute(`CREATE TABLE IF NOT EXISTS ${t}_x (a INTEGER)`);
        expect(performance.now() - started).toBeLessThan(2_000);
        await Bun.sleep(6_000); // past sqld's 5 s transaction timeout
        await other.execute({ sql: `INSERT INTO ${t} (k, v) VALUES ('other2', 1)`, args: [] });
        await s.batch([put("second")]);
      } finally {
        other.close();
      }
      expect(await committed()).toEqual(["first", "other", "other2", "second"]);
      expect(s.stats.transactions).toBe(2); // no failure, no retry
    }), 30_000);
});
