/**
 * The Bun host's Sql (libsqlSql.ts) on a real libSQL file: the group-commit rules of sql.ts (a
 * failing batch retried alone, CommitChain, batches given as functions, commit spacing), as
 * tests/support/sqlContract.ts states them for every group-committing Sql.
 */
import { afterEach } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LibsqlSql, openLibsql } from "../../hosts/bun/storage/libsqlSql.ts";
import type { Statement } from "../../actors/storage/sql.ts";
import { groupCommitContract } from "../support/sqlContract.ts";

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
const keys = async (s: LibsqlSql) => (await s.all<{ k: string }>("SELECT k FROM t ORDER BY k")).map((r) => r.k);

groupCommitContract("libSQL file", async (commitIntervalMs = 0) => {
  const s = await open(commitIntervalMs);
  return { s, put, keys: () => keys(s) };
});
