/**
 * One sqld for a test file (started before its tests, stopped after), and the remote Sqls its tests
 * open, closed after each test.
 */
import { afterAll, afterEach, beforeAll } from "bun:test";
import { rmSync } from "node:fs";
import type { RemoteLibsqlSql } from "../../hosts/cluster/storage/remoteLibsql.ts";
import { startSqld, type RunningServer } from "../support/servers.ts";

export interface SqldFixture {
  /** Set once the file's beforeAll ran. */
  server: RunningServer;
  /** Push what a test opens: it is closed after the test. */
  opened: RemoteLibsqlSql[];
}

export function useSqld(): SqldFixture {
  const fx: SqldFixture = { server: undefined as unknown as RunningServer, opened: [] };
  beforeAll(async () => {
    fx.server = await startSqld();
  }, 30_000);
  afterAll(async () => {
    await fx.server?.stop();
    if (fx.server) rmSync(fx.server.dir, { recursive: true, force: true });
  }, 30_000); // stopping a server may take its 5 s grace
  afterEach(async () => {
    for (const s of fx.opened.splice(0)) await s.close();
  }, 30_000);
  return fx;
}
