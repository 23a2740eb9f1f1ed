/**
 * DoSql's CommitChain on a real SQLite (bun:sqlite standing in for ctx.storage.sql, which has the
 * same synchronous shape): a failed batch fails its chain's later batches unwritten. End to end on
 * workerd, the conformance suite runs the conversation actor over DoSql.
 */
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { DoSql, type DoStorageLike } from "../../hosts/cloudflare/doSql.ts";
import { ChainBrokenError, type CommitChain } from "../../actors/storage/sql.ts";

function storage(): DoStorageLike {
  const db = new Database(":memory:");
  return {
    sql: { exec: (q, ...b) => ({ toArray: () => db.query(q).all(...(b as any[])) }) },
    transactionSync: (fn) => db.transaction(fn)(),
  };
}

const outcome = (p: Promise<unknown>) => p.then(() => "ok", (e) => (e instanceof ChainBrokenError ? "chain" : "failed"));

describe("DoSql commit chains", () => {
  test("a failed batch marks its chain; later batches of it are rejected without being taken", async () => {
    const sql = new DoSql(storage());
    await sql.migrate(["CREATE TABLE t (k TEXT PRIMARY KEY)"]);
    await sql.batch([{ sql: "INSERT INTO t (k) VALUES ('dup')" }]);
    const chain: CommitChain = { failed: false };
    let taken = false;
    const results = [
      await outcome(sql.batch([{ sql: "INSERT INTO t (k) VALUES ('a')" }], chain)),
      await outcome(sql.batch([{ sql: "INSERT INTO t (k) VALUES ('b')" }, { sql: "INSERT INTO t (k) VALUES ('dup')" }], chain)),
      await outcome(sql.batch(() => ((taken = true), [{ sql: "INSERT INTO t (k) VALUES ('c')" }]), chain)),
      await outcome(sql.batch([{ sql: "INSERT INTO t (k) VALUES ('other')" }])),
    ];
    expect(results).toEqual(["ok", "failed", "chain", "ok"]);
    expect(taken).toBe(false);
    expect((await sql.all<{ k: string }>("SELECT k FROM t ORDER BY k")).map((r) => r.k)).toEqual(["a", "dup", "other"]);
  });
});
