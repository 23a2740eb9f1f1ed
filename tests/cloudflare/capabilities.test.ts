/**
 * What Nexus relies on in workerd (compatibility date and flags as in wrangler.toml), checked in the
 * real runtime: scrypt under nodejs_compat, jose, and FTS5/triggers/transactions in DO SQLite.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildFixture, run, type Built, type Running } from "./harness.ts";

let built: Built;
let w: Running;
let report: any;

beforeAll(async () => {
  built = await buildFixture("tests/cloudflare/fixtures/capabilities.worker.ts", { PROBE: "ProbeDO" });
  w = await run(built, { durableObjects: { PROBE: { className: "ProbeDO", useSQLite: true } } });
  report = await (await fetch(w.url)).json();
});

afterAll(async () => {
  await w?.stop();
  built?.cleanup();
}, 30_000);

describe("workerd capabilities", () => {
  test("node:crypto scrypt works (sync and callback forms agree)", () => {
    expect(report.scryptSync).toBe(64);
    expect(report.scryptAsyncMatchesSync).toBe(true);
  });

  test("jose signs and verifies HS256", () => {
    expect(report.jose).toBe("u1");
  });

  test("FTS5 external-content table with triggers: MATCH, rank, diacritics, prefix, snippet, updates", () => {
    expect(report.sqlite.fts5).toEqual({ brave: [1], diacritics: [2], prefix: [1], snippet: "Hello brave new [world]" });
  });

  test("FTS5 trigram tokenizer is available", () => {
    expect(report.sqlite.trigram).toBe(1);
  });

  test("transactionSync rolls back on throw; raw BEGIN is refused", () => {
    expect(report.sqlite.transactionSyncRollback).toBe(0);
    expect(String(report.sqlite.sqlBegin.error)).toMatch(/transactionSync/);
  });

  test("JSON functions and ctx.id.name are available", () => {
    expect(report.sqlite.json).toBe(2);
    expect(report.sqlite.idName).toBe("probe");
  });

  test("calling an RPC method that does not exist rejects", () => {
    expect(report.unknownRpc).toMatch(/nope|not a function|does not/i);
  });
});
