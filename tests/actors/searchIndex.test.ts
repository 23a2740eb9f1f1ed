/** The full-text index is built behind the commit (searchIndexer.ts); searches must not notice. */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { LimitsSchema } from "../../protocol/index.ts";
import { BunActorSystem } from "../../actors/hosts/bun/BunActorSystem.ts";
import { openLibsql } from "../../actors/storage/libsqlSql.ts";
import { SearchIndexer } from "../../actors/storage/searchIndexer.ts";
import { makeSystem, member } from "./harness.ts";

let env: Awaited<ReturnType<typeof makeSystem>>;
afterEach(async () => env && (await env.close()));

async function group() {
  env = await makeSystem({ sendsPerSecond: 10_000 });
  const conv = env.system.conversation("g_searchgrp1");
  await conv.create({ userId: "ann" }, { type: "group", title: "t", members: ["ann", "ben"].map((m) => member(m)) });
  return conv;
}

const indexedUpTo = async () => Number((await env.sql.first<{ upto: number }>("SELECT upto FROM fts_state"))!.upto);
const texts = (events: object[]) => events.map((e) => (e as { text?: string }).text);

describe("search index", () => {
  test("a message is found by the search right after its ack, before the background indexer ran", async () => {
    const conv = await group();
    const before = await indexedUpTo();
    await conv.send({ userId: "ann" }, { clientId: "srch-0001", text: "quokka sighting at noon" });
    expect(await indexedUpTo()).toBe(before); // not indexed by the commit itself
    expect(texts(await conv.search({ userId: "ben" }, "quokka", 10))).toEqual(["quokka sighting at noon"]);
    expect(await indexedUpTo()).toBeGreaterThan(before);
  });

  test("the background indexer catches up on its own, in chunks, and each row is indexed once", async () => {
    const conv = await group();
    for (let i = 0; i < 2500; i += 100)
      await Promise.all(Array.from({ length: 100 }, (_, j) => conv.send({ userId: "ann" }, { clientId: `bulk-${i + j}`, text: `numbat ${i + j}` })));
    const last = Number((await env.sql.first<{ n: number }>("SELECT MAX(rowid) AS n FROM events"))!.n);
    for (let i = 0; i < 100 && (await indexedUpTo()) < last; i++) await Bun.sleep(20);
    expect(await indexedUpTo()).toBe(last);
    const n = await env.sql.first<{ n: number }>("SELECT COUNT(*) AS n FROM events_fts WHERE events_fts MATCH 'numbat'");
    expect(Number(n!.n)).toBe(2500);
  });

  test("edits and deletes before and after indexing leave only the current text findable", async () => {
    const conv = await group();
    const early = await conv.send({ userId: "ann" }, { clientId: "srch-0002", text: "platypus original" });
    await conv.edit({ userId: "ann" }, "srch-0003", early.seq, "platypus edited before indexing");
    expect(texts(await conv.search({ userId: "ann" }, "original", 10))).toEqual([]);
    expect(texts(await conv.search({ userId: "ann" }, "platypus", 10))).toEqual(["platypus edited before indexing"]);
    // Now indexed: a later edit re-indexes, a delete removes.
    await conv.edit({ userId: "ann" }, "srch-0004", early.seq, "wombat after indexing");
    expect(texts(await conv.search({ userId: "ann" }, "platypus", 10))).toEqual([]);
    expect(texts(await conv.search({ userId: "ann" }, "wombat", 10))).toEqual(["wombat after indexing"]);
    await conv.deleteMessage({ userId: "ann" }, early.seq, "srch-0005");
    expect(await conv.search({ userId: "ann" }, "wombat", 10)).toEqual([]);
    const check = await env.sql.first<{ ok: string }>("SELECT 1 AS ok FROM events_fts WHERE events_fts MATCH 'wombat'");
    expect(check).toBeUndefined();
    await env.sql.run("INSERT INTO events_fts (events_fts) VALUES ('integrity-check')"); // throws if the index disagrees with events
  });
});

describe("migrating a database indexed by the old insert trigger", () => {
  test("old messages stay findable exactly once and new ones are indexed behind", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nexus-ftsmig-"));
    try {
      // The schema as it was: a unique clientId index and an FTS trigger on insert.
      const old = new Database(join(dir, "t.db"));
      old.exec(`CREATE TABLE conversations (id TEXT PRIMARY KEY, type TEXT NOT NULL, title TEXT NOT NULL, epoch TEXT NOT NULL, created_ts INTEGER NOT NULL);
        CREATE TABLE members (conv_id TEXT NOT NULL, user_id TEXT NOT NULL, username TEXT NOT NULL, role TEXT NOT NULL, read_seq INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (conv_id, user_id));
        CREATE TABLE events (conv_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, ts INTEGER NOT NULL, author TEXT NOT NULL,
          client_id TEXT, text TEXT, body TEXT, edited_ts INTEGER, deleted INTEGER NOT NULL DEFAULT 0, reactions TEXT, PRIMARY KEY (conv_id, seq));
        CREATE UNIQUE INDEX events_client ON events (conv_id, author, client_id) WHERE client_id IS NOT NULL;
        CREATE VIRTUAL TABLE events_fts USING fts5(text, content='events', content_rowid='rowid');
        CREATE TRIGGER events_fts_insert AFTER INSERT ON events WHEN new.kind = 'message' BEGIN INSERT INTO events_fts (rowid, text) VALUES (new.rowid, new.text); END;
        INSERT INTO conversations VALUES ('g_oldschema1', 'group', 't', 'ep', 1);
        INSERT INTO members VALUES ('g_oldschema1', 'ann', 'ann', 'admin', 0);
        INSERT INTO events VALUES ('g_oldschema1', 1, 'created', 1, 'ann', NULL, NULL, '{"type":"group","title":"t","members":[]}', NULL, 0, NULL);
        INSERT INTO events VALUES ('g_oldschema1', 2, 'message', 2, 'ann', 'old-msg-01', 'echidna from before', NULL, NULL, 0, NULL);`);
      old.close();
      const sql = await openLibsql(join(dir, "t.db"));
      await BunActorSystem.migrate(sql);
      await BunActorSystem.migrate(sql); // idempotent
      const system = new BunActorSystem(sql, LimitsSchema.parse({}));
      const conv = system.conversation("g_oldschema1");
      await conv.send({ userId: "ann" }, { clientId: "new-msg-01", text: "echidna from after" });
      expect(texts(await conv.search({ userId: "ann" }, "echidna", 10)).sort()).toEqual(["echidna from after", "echidna from before"]);
      expect(await sql.first("SELECT name FROM sqlite_master WHERE name = 'events_client'")).toBeUndefined();
      await sql.run("INSERT INTO events_fts (events_fts) VALUES ('integrity-check')");
      await system.close();
      await sql.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("search index under storage failure", () => {
  test("while storage fails, the indexer retries after a pause instead of spinning (the event loop keeps running)", async () => {
    await group();
    const errors: unknown[] = [];
    const log = console.error;
    console.error = (...a: unknown[]) => void (String(a[0]).startsWith("[search]") ? errors.push(a[0]) : log(...a));
    try {
      let timerRan = false;
      setTimeout(() => (timerRan = true), 0);
      env.sql.failReads = true;
      SearchIndexer.for(env.sql).noteWrites(5000); // a whole chunk's worth: starts at once, and fails
      await Bun.sleep(300);
      expect(timerRan).toBe(true);
      expect(errors.length).toBe(1); // one failure, then a retry timer (1 s)
    } finally {
      env.sql.failReads = false;
      console.error = log;
    }
  });
});
