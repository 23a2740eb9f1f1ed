/**
 * mergeInserts (hosts/cluster/storage/mergeInserts.ts): plain inserts of several batches become one
 * statement, and never move past a statement that names their table or a tombstone table.
 */
import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mergeInserts } from "../../hosts/cluster/storage/mergeInserts.ts";
import type { Statement } from "../../actors/storage/sql.ts";

const ins = (conv: string, seqs: number[]): Statement => ({
  sql: "INSERT INTO events (conv_id, seq, text) VALUES " + seqs.map(() => "(?, ?, ?)").join(", "),
  args: seqs.flatMap((s) => [conv, s, `m${s}`]),
});
const fence = (conv: string): Statement => ({ sql: "UPDATE fences SET ok = (token = ?) WHERE conv_id = ?", args: [1, conv] });

describe("mergeInserts", () => {
  test("inserts of several batches become one, at the first one's place; other statements keep their order", () => {
    const out = mergeInserts([fence("a"), ins("a", [1, 2]), fence("b"), ins("b", [7]), fence("c"), ins("c", [3])]);
    expect(out.map((s) => s.sql.slice(0, 12))).toEqual(["UPDATE fence", "INSERT INTO ", "UPDATE fence", "UPDATE fence"]);
    expect(out[1]!.args).toEqual(["a", 1, "m1", "a", 2, "m2", "b", 7, "m7", "c", 3, "m3"]);
    expect(out[1]!.sql).toBe("INSERT INTO events (conv_id, seq, text) VALUES (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?)");
  });

  test("never across a statement naming the table or a tombstone table, nor with other columns or clauses", () => {
    const upd: Statement = { sql: "UPDATE events SET text = ? WHERE conv_id = ? AND seq = ?", args: ["x", "a", 1] };
    const tomb: Statement = { sql: "INSERT OR REPLACE INTO moved_conversations (id, region) VALUES (?, ?)", args: ["b", "r"] };
    const upsert: Statement = { sql: "INSERT INTO events (conv_id, seq, text) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", args: ["d", 1, "z"] };
    const other: Statement = { sql: "INSERT INTO events (conv_id, seq) VALUES (?, ?)", args: ["e", 1] };
    expect(mergeInserts([ins("a", [1]), upd, ins("b", [2])]).length).toBe(3);
    expect(mergeInserts([ins("a", [1]), tomb, ins("b", [2])]).length).toBe(3);
    expect(mergeInserts([ins("a", [1]), upsert, ins("b", [2])]).length).toBe(3);
    expect(mergeInserts([ins("a", [1]), other, ins("b", [2])]).length).toBe(3);
    // After a break, later inserts merge with each other again.
    expect(mergeInserts([ins("a", [1]), upd, ins("b", [2]), ins("c", [3])]).length).toBe(3);
  });

  test("bounded parameters per statement", () => {
    const many = Array.from({ length: 3000 }, (_, i) => ins("a", [i]));
    const out = mergeInserts(many);
    expect(out.length).toBe(3);
    expect(out.every((s) => (s.args?.length ?? 0) <= 4000)).toBe(true);
    expect(out.flatMap((s) => s.args)).toEqual(many.flatMap((s) => s.args));
  });

  test("the merged statements store the same rows (SQLite)", () => {
    const run = (stmts: Statement[]) => {
      const db = new Database(":memory:");
      db.run("CREATE TABLE events (conv_id TEXT, seq INTEGER, text TEXT, PRIMARY KEY (conv_id, seq))");
      db.run("CREATE TABLE fences (conv_id TEXT PRIMARY KEY, token INTEGER, ok INTEGER)");
      for (const s of stmts) db.prepare(s.sql).run(...((s.args ?? []) as never[]));
      return db.query("SELECT rowid, * FROM events ORDER BY rowid").all();
    };
    const stmts = [fence("a"), ins("a", [1, 2]), fence("b"), ins("b", [7]), ins("c", [3, 4, 5])];
    expect(run(mergeInserts(stmts))).toEqual(run(stmts));
  });
});
