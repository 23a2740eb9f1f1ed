/**
 * The full-text index is built behind the commit (searchIndexer.ts); searches must not notice.
 * The Bun host keeps it in a file and thread of its own (libsqlSearch.ts); Durable Objects keep it in
 * the conversation's database (inlineSearch.ts), exercised here over libSQL with the file hidden.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { LimitsSchema } from "../../protocol/index.ts";
import { BunActorSystem } from "../../hosts/bun/BunActorSystem.ts";
import { openLibsql } from "../../hosts/bun/storage/libsqlSql.ts";
import { searchPathFor } from "../../hosts/bun/storage/libsqlSearch.ts";
import { SearchIndexer } from "../../actors/storage/searchIndexer.ts";
import { makeSystem, member } from "./harness.ts";

let env: Awaited<ReturnType<typeof makeSystem>>;
afterEach(async () => env && (await env.close()));

async function group(opts: { inlineSearch?: boolean } = {}) {
  env = await makeSystem({ sendsPerSecond: 10_000 }, opts);
  const conv = env.system.conversation("g_searchgrp1");
  await conv.create({ userId: "ann" }, { type: "group", title: "t", members: ["ann", "ben"].map((m) => member(m)) });
  return conv;
}

const indexedUpTo = async () => Number((await env.sql.first<{ upto: number }>("SELECT upto FROM search.fts_state"))!.upto);
/** FTS5's own consistency check, on a connection of the test's own to the search file. */
function checkSearchFile(mainPath: string): void {
  const db = new Database(searchPathFor(mainPath));
  try {
    db.exec("INSERT INTO events_fts (events_fts) VALUES ('integrity-check')"); // throws if the index is corrupt
  } finally {
    db.close();
  }
}
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
    const n = await env.sql.first<{ n: number }>("SELECT COUNT(*) AS n FROM search.events_fts f WHERE f.events_fts MATCH 'numbat'");
    expect(Number(n!.n)).toBe(2500);
  });

  for (const inlineSearch of [false, true])
    test(`edits and deletes before and after indexing leave only the current text findable (${inlineSearch ? "index in the database" : "index file"})`, async () => {
      const conv = await group({ inlineSearch });
      const table = inlineSearch ? "events_fts" : "search.events_fts";
      const early = await conv.send({ userId: "ann" }, { clientId: "srch-0002", text: "platypus original" });
      await conv.edit({ userId: "ann" }, "srch-0003", early.seq, "platypus edited before indexing");
      expect(texts(await conv.search({ userId: "ann" }, "original", 10))).toEqual([]);
      expect(texts(await conv.search({ userId: "ann" }, "platypus", 10))).toEqual(["platypus edited before indexing"]);
      // Now indexed: a later edit re-indexes, a delete removes.
      await conv.edit({ userId: "ann" }, "srch-0004", early.seq, "wombat after indexing");
      expect(texts(await conv.search({ userId: "ann" }, "platypus", 10))).toEqual([]);
      expect(texts(await conv.search({ userId: "ann" }, "wombat", 10))).toEqual(["wombat after indexing"]);
      // The index itself, not only the query's filter, forgot the old words.
      expect(await env.sql.first(`SELECT 1 AS ok FROM ${table} f WHERE f.events_fts MATCH 'platypus'`)).toBeUndefined();
      await conv.deleteMessage({ userId: "ann" }, early.seq, "srch-0005");
      expect(await conv.search({ userId: "ann" }, "wombat", 10)).toEqual([]);
      expect(await env.sql.first(`SELECT 1 AS ok FROM ${table} f WHERE f.events_fts MATCH 'wombat'`)).toBeUndefined();
      if (inlineSearch) await env.sql.run("INSERT INTO events_fts (events_fts) VALUES ('integrity-check')"); // throws if the index disagrees with events
      else checkSearchFile(env.sql.inner.separateIndex.path.replace(/\.search\.db$/, ".db"));
    });

  test("the index file is written by a thread running at a lower priority than the rest of the process", async () => {
    await group();
    const nice = (stat: string) => Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
    const tasks = readdirSync("/proc/self/task").map((t) => nice(readFileSync(`/proc/self/task/${t}/stat`, "utf8")));
    expect(nice(readFileSync("/proc/thread-self/stat", "utf8"))).toBe(0);
    expect(tasks).toContain(10);
  });

  test("a damaged index file does not keep the node from starting: it is rebuilt from the messages", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nexus-ftsdamaged-"));
    const log = console.error;
    const logged: string[] = [];
    console.error = (...a: unknown[]) => void logged.push(String(a[0]));
    try {
      let sql = await openLibsql(join(dir, "t.db"));
      await BunActorSystem.migrate(sql);
      let system = new BunActorSystem(sql, LimitsSchema.parse({}));
      let conv = system.conversation("g_damaged001");
      await conv.create({ userId: "ann" }, { type: "group", title: "t", members: [member("ann")] });
      await conv.send({ userId: "ann" }, { clientId: "dmg-1", text: "wallaby before the damage" });
      await system.close();
      await sql.close();
      const file = searchPathFor(join(dir, "t.db"));
      for (const f of [`${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
      writeFileSync(file, "this is not a database ".repeat(400));
      sql = await openLibsql(join(dir, "t.db"));
      await BunActorSystem.migrate(sql);
      system = new BunActorSystem(sql, LimitsSchema.parse({}));
      conv = system.conversation("g_damaged001");
      expect(texts(await conv.search({ userId: "ann" }, "wallaby", 10))).toEqual(["wallaby before the damage"]);
      expect(logged.some((l) => l.includes("rebuilding the index"))).toBe(true);
      await system.close();
      await sql.close();
    } finally {
      console.error = log;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const laterRows of [0, 40])
  test(`an index file of another database (the database was replaced; ${laterRows ? "now longer" : "now shorter"}) is rebuilt, not trusted`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "nexus-ftsreplaced-"));
    const start = async () => {
      const sql = await openLibsql(join(dir, "t.db"));
      await BunActorSystem.migrate(sql);
      const system = new BunActorSystem(sql, LimitsSchema.parse({ sendsPerSecond: 10_000 }));
      const conv = system.conversation("g_replaced01");
      await conv.create({ userId: "ann" }, { type: "group", title: "t", members: [member("ann")] });
      return { sql, system, conv, stop: async () => (await system.close(), await sql.close()) };
    };
    try {
      const a = await start();
      for (let i = 0; i < 20; i++) await a.conv.send({ userId: "ann" }, { clientId: `old-${i}`, text: `bilby number ${i}` });
      expect((await a.conv.search({ userId: "ann" }, "bilby", 50)).length).toBe(20);
      await a.stop();
      for (const f of ["t.db", "t.db-wal", "t.db-shm"]) rmSync(join(dir, f), { force: true });
      const b = await start();
      for (let i = 0; i < laterRows; i++) await b.conv.send({ userId: "ann" }, { clientId: `filler-${i}`, text: `filler ${i}` });
      await b.conv.send({ userId: "ann" }, { clientId: "new-1", text: "quoll fresh start" });
      expect(texts(await b.conv.search({ userId: "ann" }, "quoll", 10))).toEqual(["quoll fresh start"]);
      expect(await b.conv.search({ userId: "ann" }, "bilby", 10)).toEqual([]);
      expect(Number((await b.sql.first<{ n: number }>("SELECT COUNT(*) AS n FROM search.events_fts f WHERE f.events_fts MATCH 'quoll OR bilby'"))!.n)).toBe(1);
      await b.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("migrating a database indexed by the old insert trigger", () => {
  test("old messages stay findable exactly once, in the index file, and new ones are indexed behind", async () => {
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
      // The old in-database index and its trigger are gone; the index file took over.
      expect(await sql.first("SELECT name FROM main.sqlite_master WHERE name IN ('events_fts', 'events_fts_insert')")).toBeUndefined();
      checkSearchFile(join(dir, "t.db"));
      await system.close();
      await sql.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("search index under storage failure", () => {
  test("while indexing fails, the indexer retries after a pause instead of spinning (the event loop keeps running)", async () => {
    const errors: unknown[] = [];
    const log = console.error;
    console.error = (...a: unknown[]) => void (String(a[0]).startsWith("[search]") ? errors.push(a[0]) : log(...a));
    let calls = 0;
    const indexer = new SearchIndexer({
      table: "events_fts",
      progress: async () => {
        calls++;
        throw new Error("injected index failure");
      },
      chunk: async () => {
        throw new Error("injected index failure");
      },
    });
    try {
      let timerRan = false;
      setTimeout(() => (timerRan = true), 0);
      indexer.noteWrites(5000); // a whole chunk's worth: starts at once, and fails
      await Bun.sleep(300);
      expect(timerRan).toBe(true);
      expect(calls).toBe(1);
      expect(errors.length).toBe(1); // one failure, then a retry timer (1 s)
      await Bun.sleep(900);
      expect(calls).toBe(2); // the retry
    } finally {
      await indexer.stop();
      console.error = log;
    }
  });
});

describe("search index scheduling", () => {
  /** A FullTextIndex whose log grows by `growth` rows at every look, like a node under steady load. */
  function growingIndex(growth: number, backlog: number, chunkMs = 0) {
    const st = { upto: 0, last: backlog, chunks: [] as number[], uptos: [] as number[] };
    return {
      st,
      index: {
        table: "events_fts",
        progress: async () => ({ upto: st.upto, last: (st.last += growth) }),
        chunk: async (to: number) => {
          st.chunks.push(to);
          if (chunkMs) await Bun.sleep(chunkMs);
          st.upto = Math.min(to, st.last, st.upto + 2000);
          st.uptos.push(st.upto);
          return { upto: st.upto, last: (st.last += growth) };
        },
      },
    };
  }

  test("a search waits for the rows committed before it, not for rows written while it waits", async () => {
    const { st, index } = growingIndex(5000, 10_000, 1); // the log outgrows the indexer for ever
    const indexer = new SearchIndexer(index);
    await indexer.catchUp(); // resolves: it would not if it chased the growing end
    await indexer.stop(); // the background run that follows is not under test
    const target = 15_000; // `last` at the search's first look
    // The search's own run: chunks up to the target, and no further.
    expect(st.uptos.indexOf(target)).toBe(7); // 2,000 rows a chunk
    expect(st.chunks.slice(0, 8).every((to) => to <= target)).toBe(true);
    expect(st.last).toBeGreaterThan(target);
  });

  test("stopping waits for the chunk in progress, not for the whole backlog", async () => {
    const { st, index } = growingIndex(0, 1_000_000, 20);
    const indexer = new SearchIndexer(index);
    indexer.noteWrites(1_000_000);
    await Bun.sleep(30); // a chunk or two in
    await indexer.stop();
    const done = st.chunks.length;
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(10); // 500 chunks were waiting
    await Bun.sleep(60);
    expect(st.chunks.length).toBe(done);
  });

  test("if the index thread dies, a search fails with an error instead of hanging", async () => {
    const conv = await group();
    await conv.send({ userId: "ann" }, { clientId: "dead-0001", text: "kookaburra" });
    (env.sql.inner.separateIndex as unknown as { worker: Worker }).worker.terminate();
    const outcome = await Promise.race([
      conv.search({ userId: "ann" }, "kookaburra", 10).then(() => "answered", (e) => `failed: ${(e as Error).message}`),
      Bun.sleep(3000).then(() => "hung"),
    ]);
    expect(outcome).toContain("failed: search index thread stopped");
  });
});

