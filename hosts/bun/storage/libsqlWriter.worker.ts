/**
 * The libSQL writer thread (Bun Worker). Commits run here so the fsync of one group commit overlaps
 * with the main thread accepting the next sends; the main thread keeps its own connection for reads
 * (WAL: readers see every committed transaction, never an uncommitted one).
 */
import { LibsqlConnection } from "./libsqlStatements.ts";
import type { SqlValue, Statement } from "../../../actors/storage/sql.ts";

interface Open { t: "open"; path: string; synchronous: "FULL" | "NORMAL" }
interface Write { t: "write"; id: number; statements: Statement[] }
/** A batch packed by packStatements (libsqlSql.ts): [[id, sql] definitions, [id or sql, args] rows]. */
interface Packed { t: "packed"; id: number; packed: string }
/** One writing statement whose rows (RETURNING) or change count the caller needs. */
interface Query { t: "query"; id: number; sql: string; args: SqlValue[]; rows: boolean }

declare const self: Worker;
let conn: LibsqlConnection | null = null;

const sqlById: string[] = [];

function unpack(packed: string): Statement[] {
  const [defs, rows] = JSON.parse(packed) as [Array<[number, string]>, Array<[number | string, SqlValue[]]>];
  for (const [id, sql] of defs) sqlById[id] = sql;
  return rows.map(([ref, args]) => ({ sql: typeof ref === "number" ? sqlById[ref]! : ref, args }));
}

self.onmessage = (e: MessageEvent<Open | Write | Packed | Query>) => {
  const m = e.data;
  if (m.t === "open") {
    try {
      conn = new LibsqlConnection(m.path, m.synchronous);
      self.postMessage({ t: "ready" });
    } catch (err) {
      self.postMessage({ t: "ready", error: String(err) });
    }
    return;
  }
  try {
    if (m.t === "query") {
      const result = m.rows ? conn!.all(m.sql, m.args) : conn!.run(m.sql, m.args);
      self.postMessage({ t: "done", id: m.id, result });
      return;
    }
    const t0 = performance.now();
    const statements = m.t === "packed" ? unpack(m.packed) : m.statements;
    conn!.transaction(statements);
    const ms = performance.now() - t0;
    if (ms > 50 && process.env.NEXUS_DEBUG_COMMITS) console.error(`[libsql writer] commit of ${statements.length} statements took ${ms.toFixed(1)} ms`);
    self.postMessage({ t: "done", id: m.id });
  } catch (err) {
    self.postMessage({ t: "done", id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
};
