/**
 * One shard of the account directory: a Durable Object ("directory", "directory-1", …: stubs.ts)
 * whose SQLite holds the users whose names hash to it, their refresh tokens and lockouts
 * (edge/auth/shardedAccounts.ts decides which shard; NEXUS_DIRECTORY_SHARDS how many). It has no logic of its own: it lends its `Sql` over RPC so the Worker
 * runs the same AccountService (edge/auth/accounts.ts) as the Bun host, over a remote Sql
 * (hosts/cloudflare/remoteSql.ts).
 *
 * Every statement is one RPC and runs alone in the object (DOs are single-threaded; a batch is one
 * transactionSync), so each call is atomic; sequences of calls interleave with other requests just
 * as they do on a shared libSQL file. Each object bounds the sign-ins of its share of the names
 * (roughly one object's worth of requests per second), so throughput grows with the shard count.
 */
import { DurableObject } from "cloudflare:workers";
import { DoSql } from "./doSql.ts";
import type { Row, SqlValue, Statement } from "../../actors/storage/sql.ts";
import type { DoEnv } from "./doEnv.ts";
import type { DirectoryRpc } from "./doRpc.ts";

export class DirectoryDO extends DurableObject<DoEnv> implements DirectoryRpc {
  private readonly sql: DoSql;

  constructor(ctx: DurableObjectState, env: DoEnv) {
    super(ctx, env);
    this.sql = new DoSql(ctx.storage);
  }

  async all(sql: string, args?: SqlValue[]): Promise<Row[]> {
    return this.sql.allSync(sql, args);
  }

  async first(sql: string, args?: SqlValue[]): Promise<Row | undefined> {
    return this.sql.allSync(sql, args)[0];
  }

  async run(sql: string, args?: SqlValue[]): Promise<{ changes: number }> {
    return this.sql.runSync(sql, args);
  }

  async batch(statements: Statement[]): Promise<void> {
    this.sql.batchSync(statements);
  }

  async migrate(statements: string[]): Promise<void> {
    await this.sql.migrate(statements);
  }
}
