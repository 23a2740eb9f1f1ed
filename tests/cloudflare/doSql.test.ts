/** hosts/cloudflare/doSql.ts in real workerd: DirectoryDO's SQLite reached from a Worker over DO RPC. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildFixture, run, type Built, type Running } from "./harness.ts";

let built: Built;
let w: Running;

const revive = (_k: string, v: any) => (v && Array.isArray(v.$bytes) ? new Uint8Array(v.$bytes) : v);
const replace = (_k: string, v: any) => (v instanceof Uint8Array ? { $bytes: [...v] } : v);

async function call(op: string, ...args: unknown[]): Promise<any> {
  const res = await fetch(w.url, { method: "POST", body: JSON.stringify({ op, args }, replace) });
  const body = JSON.parse(await res.text(), revive);
  if (body.error) throw new Error(body.error.message);
  return body.value;
}

beforeAll(async () => {
  built = await buildFixture("tests/cloudflare/fixtures/directory.worker.ts", { DIRECTORY: "DirectoryDO" });
  w = await run(built, { durableObjects: { DIRECTORY: { className: "DirectoryDO", useSQLite: true } } });
});

afterAll(async () => {
  await w?.stop();
  built?.cleanup();
}, 30_000);

describe("DoSql over DO RPC", () => {
  test("migrate is idempotent and creates tables, indexes and triggers", async () => {
    const ddl = [
      "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB, n REAL)",
      "CREATE INDEX IF NOT EXISTS t_n ON t(n)",
      "CREATE TABLE IF NOT EXISTS log (id INTEGER PRIMARY KEY, name TEXT)",
      "CREATE TRIGGER IF NOT EXISTS t_ai AFTER INSERT ON t BEGIN INSERT INTO log (name) VALUES (new.name); END",
    ];
    await call("migrate", ddl);
    await call("migrate", ddl);
    const tables = await call("all", "SELECT name FROM sqlite_master WHERE type IN ('table','trigger','index') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf%' ESCAPE '\\' ORDER BY name");
    expect(tables.map((r: any) => r.name)).toEqual(["log", "t", "t_ai", "t_n"]);
  });

  test("run reports SQLite's changes(), not rows written including indexes", async () => {
    const r1 = await call("run", "INSERT INTO t (name, n) VALUES (?, ?)", ["a", 1.5]);
    expect(r1).toEqual({ changes: 1 });
    const r2 = await call("run", "UPDATE t SET n = n + 1 WHERE name = ?", ["missing"]);
    expect(r2).toEqual({ changes: 0 });
    await call("run", "INSERT INTO t (name, n) VALUES (?, ?)", ["b", 2]);
    const r3 = await call("run", "UPDATE t SET n = 0");
    expect(r3).toEqual({ changes: 2 });
    // the trigger fired once per insert
    expect(await call("all", "SELECT name FROM log ORDER BY id")).toEqual([{ name: "a" }, { name: "b" }]);
  });

  test("values round-trip: text, integer, real, null, blob", async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await call("run", "INSERT INTO t (name, data, n) VALUES (?, ?, ?)", ["blob", bytes, null]);
    const row = await call("first", "SELECT id, name, data, n FROM t WHERE name = ?", ["blob"]);
    expect(row.name).toBe("blob");
    expect(row.n).toBeNull();
    expect(typeof row.id).toBe("number");
    expect([...row.data]).toEqual([...bytes]);
  });

  test("a blob bound from a view of a larger buffer stores only the view's bytes", async () => {
    // The fixture revives every blob as a subarray in the middle of a larger buffer.
    await call("run", "INSERT INTO t (name, data) VALUES (?, ?)", ["view", new Uint8Array([9, 8, 7])]);
    expect(await call("first", "SELECT length(data) AS len, hex(data) AS h FROM t WHERE name = 'view'")).toEqual({ len: 3, h: "090807" });
  });

  test("first returns null (undefined) when there is no row", async () => {
    expect(await call("first", "SELECT * FROM t WHERE name = ?", ["nobody"])).toBeNull();
  });

  test("batch is atomic: a failing statement rolls back the earlier ones", async () => {
    const before = await call("first", "SELECT count(*) AS c FROM t");
    await expect(
      call("batch", [
        { sql: "INSERT INTO t (name) VALUES (?)", args: ["in-batch"] },
        { sql: "INSERT INTO t (name) VALUES (?)", args: ["a"] }, // UNIQUE violation
      ]),
    ).rejects.toThrow(/UNIQUE/);
    expect(await call("first", "SELECT count(*) AS c FROM t")).toEqual(before);
    expect(await call("first", "SELECT name FROM t WHERE name = 'in-batch'")).toBeNull();
  });

  test("batch commits all statements together", async () => {
    await call("batch", [
      { sql: "INSERT INTO t (name) VALUES (?)", args: ["x1"] },
      { sql: "UPDATE t SET n = 42 WHERE name = ?", args: ["x1"] },
    ]);
    expect(await call("first", "SELECT n FROM t WHERE name = 'x1'")).toEqual({ n: 42 });
  });

  test("SQL errors surface with SQLite's message", async () => {
    await expect(call("all", "SELECT * FROM no_such_table")).rejects.toThrow(/no such table/);
  });
});
