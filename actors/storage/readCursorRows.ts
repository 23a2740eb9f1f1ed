/**
 * Members' read cursors as statements of a conversation's commit: several members' cursors in one
 * UPDATE rather than one each.
 *
 * Why: cursors are written behind (about once a second per conversation), so a flush carries one
 * per member who read meanwhile — in the cluster fan-out bench ~180 single-row UPDATEs a second,
 * each a statement that sqld parses and steps on its own (~40-55 µs of its CPU; the local writer
 * pays a prepare-cache lookup and a binding round trip per statement). A few fixed sizes, so each
 * statement's text repeats and is prepared once (as eventRows.ts does for inserts).
 *
 * Same effect as one UPDATE per member: each listed member's read_seq becomes the larger of the
 * stored value and theirs (the CASE always matches, since the WHERE lists the same members).
 */
import type { SqlValue, Statement } from "./sql.ts";

const SIZES = [32, 8, 2, 1];
const updateSql = new Map<number, string>();

function sqlFor(size: number): string {
  let sql = updateSql.get(size);
  if (!sql) {
    sql = size === 1
      ? "UPDATE members SET read_seq = MAX(read_seq, ?) WHERE conv_id = ? AND user_id = ?"
      : `UPDATE members SET read_seq = MAX(read_seq, CASE user_id ${"WHEN ? THEN ? ".repeat(size)}END)
         WHERE conv_id = ? AND user_id IN (${Array(size).fill("?").join(", ")})`;
    updateSql.set(size, sql);
  }
  return sql;
}

/** Statements that raise `reads`' members' cursors of `convId` (never lower them). */
export function readCursorStatements(convId: string, reads: Iterable<[userId: string, seq: number]>, st: Statement[]): void {
  // One entry per member, its highest seq: a CASE takes the first match, where one UPDATE per
  // entry would have kept the larger of two.
  const best = new Map<string, number>();
  for (const [u, seq] of reads) best.set(u, Math.max(seq, best.get(u) ?? seq));
  const all = [...best];
  let i = 0;
  for (const size of SIZES)
    for (; all.length - i >= size; i += size) {
      const part = all.slice(i, i + size);
      const args: SqlValue[] = size === 1
        ? [part[0]![1], convId, part[0]![0]]
        : [...part.flatMap(([u, s]) => [u, s]), convId, ...part.map(([u]) => u)];
      st.push({ sql: sqlFor(size), args });
    }
}
