/**
 * Fewer fence statements per transaction (bench/README.md, issue #15's fourth pass):
 * - mergeFenceChecks (hosts/cluster/storage/mergeFenceChecks.ts): a transaction's owner-fence checks
 *   of one table become one UPDATE, which refuses exactly the transactions the single checks refused;
 * - claimFence (actors/storage/ownerFence.ts): one statement for a claim from 0 or from a positive
 *   token, with the outcome of the two-statement claim in every case.
 * Each is checked against the statements it replaces, on SQLite with the cluster's fence schema.
 */
import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { claimFence, fenceCheck, fenceSchema } from "../../actors/storage/ownerFence.ts";
import { MOVABLE } from "../../actors/storage/movableKinds.ts";
import { mergeFenceChecks } from "../../hosts/cluster/storage/mergeFenceChecks.ts";
import type { Statement } from "../../actors/storage/sql.ts";

const INBOXES = MOVABLE.inbox.fence;

/** A fresh database with the fence tables, conversation tokens `tokens` and an events table. */
function db(tokens: Record<string, number>, inboxTokens: Record<string, number> = {}): Database {
  const d = new Database(":memory:");
  for (const s of fenceSchema) d.run(s);
  d.run("CREATE TABLE events (conv_id TEXT, seq INTEGER, PRIMARY KEY (conv_id, seq))");
  for (const [id, t] of Object.entries(tokens)) d.run("INSERT INTO conversation_fences (conv_id, token) VALUES (?, ?)", [id, t]);
  for (const [id, t] of Object.entries(inboxTokens)) d.run("INSERT INTO inbox_fences (user_id, token) VALUES (?, ?)", [id, t]);
  return d;
}

/** Runs `stmts` as one transaction: "ok", or the error's message (rolled back). */
function commit(d: Database, stmts: Statement[]): string {
  try {
    d.transaction(() => {
      for (const s of stmts) d.prepare(s.sql).run(...((s.args ?? []) as never[]));
    })();
    return "ok";
  } catch (e) {
    return String((e as Error).message);
  }
}

const state = (d: Database) => ({
  fences: d.query("SELECT * FROM conversation_fences ORDER BY conv_id").all(),
  inboxes: d.query("SELECT * FROM inbox_fences ORDER BY user_id").all(),
  events: d.query("SELECT * FROM events ORDER BY conv_id, seq").all(),
});
const ev = (id: string, seq: number): Statement => ({ sql: "INSERT INTO events (conv_id, seq) VALUES (?, ?)", args: [id, seq] });

describe("mergeFenceChecks", () => {
  test("a transaction's checks of one table become one statement at the first one's place", () => {
    const out = mergeFenceChecks([fenceCheck("a", 1), ev("a", 1), fenceCheck("b", 2), ev("b", 1), fenceCheck("c", 3), ev("c", 1)]);
    expect(out.map((s) => s.sql.slice(0, 30))).toEqual([
      "UPDATE conversation_fences SET",
      "INSERT INTO events (conv_id, s",
      "INSERT INTO events (conv_id, s",
      "INSERT INTO events (conv_id, s",
    ]);
    expect(out[0]!.args).toEqual(["a", 1, "b", 2, "c", 3, "a", "b", "c"]);
    // One check alone stays the statement it was (one text for sqld to prepare).
    expect(mergeFenceChecks([fenceCheck("a", 1), ev("a", 1)])).toEqual([fenceCheck("a", 1), ev("a", 1)]);
  });

  test("never across a statement naming the fence table; the same id twice with another token is checked twice", () => {
    const claim = claimFence("x", 0);
    expect(mergeFenceChecks([fenceCheck("a", 1), ...claim, fenceCheck("b", 2)]).length).toBe(3);
    expect(mergeFenceChecks([fenceCheck("a", 1), fenceCheck("a", 1), fenceCheck("b", 2)]).length).toBe(1);
    const twice = mergeFenceChecks([fenceCheck("a", 1), fenceCheck("b", 2), fenceCheck("a", 5)]);
    expect(twice.length).toBe(2);
    expect(twice[1]).toEqual(fenceCheck("a", 5));
    // Inbox claims are not checks: left alone.
    const inbox = claimFence("u", 4, INBOXES);
    expect(mergeFenceChecks([fenceCheck("a", 1), ...inbox, fenceCheck("b", 2)]).length).toBe(2);
  });

  test("refuses exactly what the single checks refused, and stores the same (SQLite)", () => {
    const stored = { a: 3, b: 7, c: 1 };
    // Every combination of current and stale tokens for a, b, c (stale: one less), and a conversation
    // with no fence row (its check refuses nothing, merged or not).
    for (let mask = 0; mask < 8; mask++) {
      const tokens = { a: mask & 1 ? 2 : 3, b: mask & 2 ? 6 : 7, c: mask & 4 ? 0 : 1 };
      const stmts = [...Object.entries(tokens).flatMap(([id, t], i) => [fenceCheck(id, t), ev(id, i)]), fenceCheck("none", 9), ev("none", 1)];
      const single = db(stored);
      const merged = db(stored);
      const r1 = commit(single, stmts);
      const r2 = commit(merged, mergeFenceChecks(stmts));
      expect(r2).toBe(r1);
      expect(r1).toBe(mask === 0 ? "ok" : "CHECK constraint failed: owner_fence");
      expect(state(merged)).toEqual(state(single));
    }
  });
});

describe("claimFence in one statement", () => {
  /** The claim as it was: the row if none (token 0), then the compare-and-set. */
  const twoStatements = (id: string, expected: number): Statement[] => [
    { sql: `INSERT INTO inbox_fences (user_id, token) VALUES (?, 0) ON CONFLICT (user_id) DO NOTHING`, args: [id] },
    { sql: `UPDATE inbox_fences SET ok = (token = ?), token = ? WHERE user_id = ?`, args: [expected, expected + 1, id] },
  ];

  test("from 0 or a positive token it is one statement; from -1 the two", () => {
    expect(claimFence("u", 0, INBOXES).length).toBe(1);
    expect(claimFence("u", 5, INBOXES).length).toBe(1);
    expect(claimFence("u", -1, INBOXES).length).toBe(2);
  });

  test("the same outcome as the two-statement claim, row or no row, current or stale (SQLite)", () => {
    // A positive token is only ever claimed from when the row holds it or held it (rows are never
    // deleted): the cases with no row are 0 and -1.
    const cases: Array<{ row: number | null; expected: number }> = [
      { row: null, expected: 0 },
      { row: null, expected: -1 },
      { row: 0, expected: 0 },
      { row: 0, expected: -1 },
      { row: 4, expected: 0 },
      { row: 4, expected: 3 },
      { row: 4, expected: 4 },
      { row: 4, expected: 5 },
      { row: 4, expected: -1 },
    ];
    for (const { row, expected } of cases) {
      const initial: Record<string, number> = row === null ? {} : { u: row };
      const before = db({}, initial);
      const after = db({}, initial);
      const r1 = commit(before, [...twoStatements("u", expected), ev("u", 1)]);
      const r2 = commit(after, [...claimFence("u", expected, INBOXES), ev("u", 1)]);
      expect({ row, expected, r: r2 }).toEqual({ row, expected, r: r1 });
      expect(state(after)).toEqual(state(before));
    }
    // And twice in a row from the same token: the second is refused both ways.
    const before = db({}, { u: 2 });
    const after = db({}, { u: 2 });
    expect(commit(before, twoStatements("u", 2))).toBe("ok");
    expect(commit(after, claimFence("u", 2, INBOXES))).toBe("ok");
    expect(commit(after, claimFence("u", 2, INBOXES))).toBe(commit(before, twoStatements("u", 2)));
    expect(state(after)).toEqual(state(before));
  });
});
