/**
 * `Sql` whose statements run in the DirectoryDO (over Durable Object RPC). Lets the Worker use the
 * same AccountService as the Bun host. Each method is one round trip to the directory object.
 */
import { materialize, type BatchStatements, type Row, type Sql, type SqlValue } from "../../actors/storage/sql.ts";
import type { DirectoryRpc } from "./doRpc.ts";

export class RemoteSql implements Sql {
  /** DDL is idempotent but still a round trip; run each distinct migration once per isolate. */
  private readonly migrated = new Set<string>();

  constructor(private readonly remote: () => DirectoryRpc) {}

  async all<T = Row>(sql: string, args?: SqlValue[]): Promise<T[]> {
    return (await this.remote().all(sql, args)) as T[];
  }

  async first<T = Row>(sql: string, args?: SqlValue[]): Promise<T | undefined> {
    return (await this.remote().first(sql, args)) as T | undefined;
  }

  async run(sql: string, args?: SqlValue[]): Promise<{ changes: number }> {
    return this.remote().run(sql, args);
  }

  async batch(statements: BatchStatements): Promise<void> {
    await this.remote().batch(materialize(statements));
  }

  async migrate(statements: string[]): Promise<void> {
    const key = statements.join("\n;\n");
    if (this.migrated.has(key)) return;
    await this.remote().migrate(statements);
    this.migrated.add(key);
  }
}
