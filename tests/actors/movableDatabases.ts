/**
 * Region databases for tests of a move's storage side (actors/storage/actorTransfer.ts): each a
 * libSQL file migrated as a cluster node migrates its region's primary (both movable kinds' tables,
 * then the move fence's triggers and the owner fences' tables), closed and removed after the test file.
 */
import { afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { moveFenceSchema } from "../../actors/storage/moveFence.ts";
import { fenceSchema } from "../../actors/storage/ownerFence.ts";
import { SqlConversationStore } from "../../actors/storage/sqlConversationStore.ts";
import { SqlInboxStore } from "../../actors/storage/sqlInboxStore.ts";
import { openLibsql, type LibsqlSql } from "../../hosts/bun/storage/libsqlSql.ts";

/** Opens region databases named by the caller; call it at the top of a test file. */
export function movableDatabases(prefix: string): (name: string) => Promise<LibsqlSql> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const opened: LibsqlSql[] = [];
  afterAll(() => Promise.all(opened.map((s) => s.close())).then(() => rmSync(dir, { recursive: true, force: true })), 30_000);
  return async (name) => {
    const sql = await openLibsql(join(dir, `${name}.db`));
    opened.push(sql);
    await SqlConversationStore.migrate(sql);
    await SqlInboxStore.migrate(sql); // the fence's triggers cover both kinds' tables
    await sql.migrate(moveFenceSchema);
    await sql.migrate(fenceSchema); // a move's import advances the owner fence (actorTransfer.ts)
    return sql;
  };
}
