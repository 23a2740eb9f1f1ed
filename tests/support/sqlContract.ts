/**
 * The group-commit rules of sql.ts, as one suite run against every Sql that group-commits: the Bun
 * host's file (tests/actors/libsqlGroupCommit.test.ts) and cluster mode's libSQL server
 * (tests/cluster/remoteLibsql.test.ts). Both use hosts/bun/storage/groupCommit.ts; this checks that
 * each, end to end on its real store, keeps the rules.
 */
import { describe, expect, test } from "bun:test";
import { ChainBrokenError, type CommitChain, type Sql, type Statement } from "../../actors/storage/sql.ts";

export interface ContractTable {
  s: Sql & { stats: { transactions: number } };
  /** An insert of key `k` into a table of this test's own (primary key on k). */
  put(k: string, v?: number): Statement;
  /** The table's keys, sorted. */
  keys(): Promise<string[]>;
}

const outcome = (p: Promise<unknown>) => p.then(() => "ok", (e) => (e instanceof ChainBrokenError ? "chain" : "failed"));

export function groupCommitContract(name: string, open: (commitIntervalMs?: number) => Promise<ContractTable>): void {
  describe(`${name}: group commit`, () => {
    test("batches submitted together commit as one transaction; a bad one is retried alone and fails alone", async () => {
      const { s, put, keys } = await open();
      await s.batch([put("dup")]);
      const before = s.stats.transactions;
      const results = await Promise.all([outcome(s.batch([put("a")])), outcome(s.batch([put("dup")])), outcome(s.batch([put("b")]))]);
      expect(results).toEqual(["ok", "failed", "ok"]);
      expect(await keys()).toEqual(["a", "b", "dup"]);
      expect(s.stats.transactions - before).toBe(4); // the group, then each batch alone
    });

    test("a batch is atomic: a failing statement leaves none of its batch written", async () => {
      const { s, put, keys } = await open();
      await s.batch([put("dup")]);
      expect(await outcome(s.batch([put("x"), put("y"), put("dup")]))).toBe("failed");
      expect(await keys()).toEqual(["dup"]);
    });

    test("after a batch of a chain fails, the chain's later batches are rejected unwritten; other batches commit", async () => {
      const { s, put, keys } = await open();
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
      expect(await keys()).toEqual(["dup", "other", "x1"]);
    });

    test("a batch given as a function is taken when its transaction is formed, so it can still grow", async () => {
      const { s, put, keys } = await open();
      const pending: Statement[] = [put("first")];
      const p = s.batch(() => pending);
      pending.push(put("joined-later")); // same tick: before the group is formed
      await p;
      expect(await keys()).toEqual(["first", "joined-later"]);
    });
  });

  describe(`${name}: spacing of group commits (commitIntervalMs)`, () => {
    test("batches arriving within the interval after a commit started join one transaction", async () => {
      const { s, put, keys } = await open(300);
      await s.batch([put("first")]);
      const before = s.stats.transactions;
      const b = s.batch([put("b")]);
      await Bun.sleep(30); // with no spacing, b would be committed alone by now and c would need a second transaction
      const c = s.batch([put("c")]);
      await Promise.all([b, c]);
      expect(s.stats.transactions - before).toBe(1);
      expect(await keys()).toEqual(["b", "c", "first"]);
    });

    test("the first commit after a quiet moment is not held back by the interval", async () => {
      const { s, put, keys } = await open(3_600_000); // an hour: waiting for it would time the test out
      await s.batch([put("a")]);
      expect(await keys()).toEqual(["a"]);
    });
  });
}
