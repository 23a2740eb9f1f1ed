/**
 * The Bun host's Sql (libsqlSql.ts) on a real libSQL file: group commits, a failing batch retried
 * alone, CommitChain (later batches of a failed chain are rejected unwritten) and batches given as
 * functions (taken when the transaction is formed).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LibsqlSql, openLibsql } from "../../actors/storage/libsqlSql.ts";
import { ChainBrokenError, type CommitChain, type Statement } from "../../actors/storage/sql.ts";

let sql: LibsqlSql | null = null;
let dir = "";
afterEach(async () => {
  await sql?.close();
  sql = null;
  rmSync(dir, { recursive: true, force: true });
});

async function open(commitIntervalMs = 0): Promise<LibsqlSql> {
  dir = mkdtempSync(join(tmpdir(), "nexus-sql-"));
  sql = await openLibsql(join(dir, "t.db"), { commitIntervalMs });
  await sql.migrate(["CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)"]);
  return sql;
}

const put = (k: string, v = 1): Statement => ({ sql: "INSERT INTO t (k, v) VALUES (?, ?)", args: [k, v] });
const outcome = (p: Promise<unknown>) => p.then(() => "ok", (e) => (e instanceof ChainBrokenError ? "chain" : "failed"));
const keys = async (s: LibsqlSql) => (await s.all<{ k: string }>("SELECT k FROM t ORDER BY k")).map((r) => r.k);

describe("libSQL group commit", () => {
  test("batches submitted together commit as one transaction; a bad one is retried alone and fails alone", async () => {
    const s = await open();
    await s.batch([put("dup")]);
    const before = s.stats.transactions;
    const results = await Promise.all([outcome(s.batch([put("a")])), outcome(s.batch([put("dup")])), outcome(s.batch([put("b")]))]);
    expect(results).toEqual(["ok", "failed", "ok"]);
    expect(await keys(s)).toEqual(["a", "b", "dup"]);
    expect(s.stats.transactions - before).toBe(4); // the group, then each batch alone
  });

  test("after a batch of a chain fails, the chain's later batches are rejected unwritten; other batches commit", async () => {
    const s = await open();
    await s.batch([put("dup")]);
    const chain: CommitChain = { failed: false };
    const results = await Promise.all([
      outcome(s.batch([put("x1")], chain)),
      outcome(s.batch([put("dup")], chain)),
      outcome(s.batch([put("x3")], chain)),
      outcome(s.batch([put("other")])),
    ]);
    expect(results).toEqual(["ok", "failed", "chain", "ok"]);
    expect(chain.failed).toBe(true);
    // Submitted after the failure: rejected at once, never taken.
    let taken = false;
    expect(await outcome(s.batch(() => ((taken = true), [put("x4")]), chain))).toBe("chain");
    expect(taken).toBe(false);
    expect(await keys(s)).toEqual(["dup", "other", "x1"]);
  });

  test("a batch given as a function is taken when its transaction is formed, so it can still grow", async () => {
    const s = await open();
    const pending: Statement[] = [put("first")];
    const p = s.batch(() => pending);
    pending.push(put("joined-later")); // same tick: before the group is formed
    await p;
    expect(await keys(s)).toEqual(["first", "joined-later"]);
  });
});

describe("spacing of group commits (commitIntervalMs)", () => {
  test("batches arriving within the interval after a commit started join one transaction", async () => {
    const s = await open(300);
    await s.batch([put("first")]);
    const before = s.stats.transactions;
    const b = s.batch([put("b")]);
    await Bun.sleep(30); // with no spacing, b would be committed alone by now and c would need a second transaction
    const c = s.batch([put("c")]);
    await Promise.all([b, c]);
    expect(s.stats.transactions - before).toBe(1);
    expect(await keys(s)).toEqual(["b", "c", "first"]);
  });

  test("the first commit after a quiet moment is not held back by the interval", async () => {
    const s = await open(3_600_000); // an hour: waiting for it would time the test out
    await s.batch([put("a")]);
    expect(await keys(s)).toEqual(["a"]);
  });
});
