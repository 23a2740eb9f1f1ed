/**
 * readCursorStatements (actors/storage/readCursorRows.ts): several members' cursors per UPDATE, with
 * the same effect as one MAX update per member (SQLite).
 */
import { expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { readCursorStatements } from "../../actors/storage/readCursorRows.ts";
import type { Statement } from "../../actors/storage/sql.ts";

function apply(stmts: Statement[]): Record<string, number> {
  const db = new Database(":memory:");
  db.run("CREATE TABLE members (conv_id TEXT, user_id TEXT, read_seq INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (conv_id, user_id))");
  for (let i = 0; i < 50; i++) {
    db.run("INSERT INTO members VALUES ('c', ?, ?)", [`u${i}`, i % 7]);
    db.run("INSERT INTO members VALUES ('other', ?, 0)", [`u${i}`]);
  }
  for (const s of stmts) db.prepare(s.sql).run(...((s.args ?? []) as never[]));
  const rows = db.query("SELECT conv_id || '/' || user_id AS k, read_seq FROM members").all() as { k: string; read_seq: number }[];
  return Object.fromEntries(rows.map((r) => [r.k, r.read_seq]));
}

test("the merged updates raise exactly what one update per member raises, never lower, other conversations untouched", () => {
  for (const n of [0, 1, 2, 3, 10, 41, 50]) {
    const reads: [string, number][] = Array.from({ length: n }, (_, i) => [`u${i}`, (i * 5) % 9]);
    reads.push(["u1", 8], ["u1", 3]); // the same member twice: the larger wins
    const one = reads.map(([u, s]): Statement => ({ sql: "UPDATE members SET read_seq = MAX(read_seq, ?) WHERE conv_id = ? AND user_id = ?", args: [s, "c", u] }));
    const merged: Statement[] = [];
    readCursorStatements("c", reads, merged);
    expect(apply(merged)).toEqual(apply(one));
    expect(merged.length).toBeLessThanOrEqual(Math.ceil(n / 8) + 3);
  }
});
