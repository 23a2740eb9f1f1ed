/**
 * Fewer statements per group commit for sqld (remoteLibsql.ts): the owner-fence checks that several
 * conversations' batches of one transaction start with (ownerFence.ts fenceCheck, one UPDATE each)
 * become one UPDATE of all their rows (ownerFence.ts fenceChecks).
 *
 * Why: sqld's cost is per statement too (~40-55 µs: parsed by its own classifier and by SQLite,
 * stepped as one step of the hrana batch). In the cluster fan-out bench a transaction carried ~2
 * fence checks on average, ~200 a second, each its own statement (bench/README.md, fourth pass).
 *
 * Why it changes nothing else (the argument of mergeInserts.ts): the statements stay in one
 * transaction, all or nothing. A check is moved up to an earlier one of the same fence table only
 * across statements that do not name that table, so it reads the same fence row it would have read
 * in its place (fence tables have no triggers; only the fence functions of ownerFence.ts write
 * them). A stale token makes the merged statement fail on the CHECK constraint (`owner_fence`), so
 * the transaction fails as the stale batch's own check would have made it fail; the group commit
 * then retries each batch alone (groupCommit.ts), unmerged, so the stale one is refused and the
 * others commit, as before. The same id twice with the same token is one check (the second would
 * have set the same `ok` on an unchanged row); with different tokens the second starts a new
 * merged statement, so both comparisons are still made.
 */
import { asFenceCheck, fenceChecks } from "../../../actors/storage/ownerFence.ts";
import type { FenceTable } from "../../../actors/storage/movableKinds.ts";
import type { Statement } from "../../../actors/storage/sql.ts";

/** Checks per merged statement (three parameters each): far below SQLite's 32,766. */
const MAX_CHECKS = 1000;

interface Open {
  of: FenceTable;
  /** Token by id, in the order the checks came. */
  tokens: Map<string, number>;
}

/** `statements` with the fence checks of each fence table merged where that is safe. */
export function mergeFenceChecks(statements: Statement[]): Statement[] {
  const out: (Statement | Open)[] = [];
  const open = new Map<string, Open>(); // still taking checks, by fence table
  for (const s of statements) {
    const check = asFenceCheck(s);
    const into = check ? open.get(check.of.table) : undefined;
    if (check && into && into.of.key === check.of.key) {
      const had = into.tokens.get(check.id);
      if (had === check.token) continue;
      if (had === undefined && into.tokens.size < MAX_CHECKS) {
        into.tokens.set(check.id, check.token);
        continue;
      }
    }
    // Any other statement that names a fence table may read or write its rows: no later check of
    // that table moves up past it. (A substring test: a statement that only seems to name it ends
    // the merge too, which is merely conservative, and costs no regular expression per statement.)
    for (const [table] of open) if (s.sql.includes(table)) open.delete(table);
    if (!check) {
      out.push(s);
      continue;
    }
    const started: Open = { of: check.of, tokens: new Map([[check.id, check.token]]) };
    open.set(check.of.table, started);
    out.push(started);
  }
  return out.map((s) => ("tokens" in s ? fenceChecks([...s.tokens].map(([id, token]) => ({ id, token })), s.of) : s));
}
