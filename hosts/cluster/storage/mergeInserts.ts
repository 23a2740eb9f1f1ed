/**
 * Fewer statements per group commit for sqld (remoteLibsql.ts): the plain multi-row INSERTs of one
 * table that several batches of a transaction carry become one statement.
 *
 * Why: sqld parses every statement twice (its own classifier, then SQLite's prepare) and handles
 * each as a step of the hrana batch; in the cluster bench a transaction carried ~19 statements, ~12
 * of them `INSERT INTO events` of 1-2 rows, one per conversation that committed (eventRows.ts
 * already merges a conversation's own rows). In a bare bench, 11 such inserts merged into one took
 * sqld from ~2.0-2.2 to ~1.6 ms per transaction.
 *
 * Why it changes nothing else: the statements stay in one transaction (all or nothing), a row is
 * inserted with the same values and fires the same triggers, and a later INSERT is only moved up to
 * an earlier one across statements that do not name its table (nor a tombstone table, which the
 * move-fence triggers on it read: moveFence.ts), so no statement sees a different state of the
 * rows it touches. Only statements of exactly this shape are merged — `INSERT INTO t (cols) VALUES
 * (…), (…)` and nothing after the values (no ON CONFLICT, RETURNING or SELECT) — and only with the
 * same text up to VALUES. A failure of the merged statement fails the transaction as any of its
 * parts would have; the group commit then retries each batch alone (unmerged across batches).
 */
import type { SqlValue, Statement } from "../../../actors/storage/sql.ts";

const PLAIN_INSERT = /^INSERT INTO (\w+) \(([^()]*)\) VALUES (\([^()]*\)(?:, \([^()]*\))*)$/;
/** Rows per merged statement: well under SQLite's bound-parameter limit (32,766) for any table here. */
const MAX_PARAMS = 4000;

interface Merged {
  table: string;
  head: string;
  values: string[];
  args: SqlValue[];
}

/** `statements` with plain INSERTs into the same table and columns merged where that is safe. */
export function mergeInserts(statements: Statement[]): Statement[] {
  const out: (Statement | Merged)[] = [];
  const open = new Map<string, Merged>(); // still taking rows, by "INSERT INTO t (cols)"
  for (const s of statements) {
    const m = PLAIN_INSERT.exec(s.sql);
    const head = m ? s.sql.slice(0, s.sql.length - m[3]!.length - " VALUES ".length) : "";
    const args = s.args ?? [];
    const into = m ? open.get(head) : undefined;
    if (into && into.args.length + args.length <= MAX_PARAMS) {
      into.values.push(m![3]!);
      into.args.push(...args);
      continue;
    }
    // This statement may read or write what it names: an earlier insert into a table it names
    // takes no later rows (they would move before it).
    for (const [k, o] of open) if (names(s.sql, o.table)) open.delete(k);
    if (!m) {
      out.push(s);
      continue;
    }
    const merged: Merged = { table: m[1]!, head, values: [m[3]!], args: [...args] };
    open.set(head, merged);
    out.push(merged);
  }
  return out.map((s) => ("head" in s ? { sql: `${s.head} VALUES ${s.values.join(", ")}`, args: s.args } : s));
}

/** Whether `sql` names `table`, or any tombstone table (what the move-fence triggers read). */
function names(sql: string, table: string): boolean {
  return new RegExp(`\\b${table}\\b`).test(sql) || /\bmoved_\w+/.test(sql);
}
