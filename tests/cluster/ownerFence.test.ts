/**
 * The owner fence (actors/storage/ownerFence.ts) and the write lane (hosts/cluster/storage/
 * writeLane.ts) on a real sqld, #16:
 * - many writes at once from several nodes no longer stall the server (before the lane, three
 *   clients writing 25 at a time stopped sqld for good within seconds: every request waited);
 * - loading conversations that do not exist writes nothing;
 * - a create claims the fence, and two writers for one conversation still cannot both commit:
 *   absent/absent (one create wins), a token taken after the absent load, a create by a holder of
 *   the token the claim started from.
 */
import { describe, expect, test } from "bun:test";
import { BunActorSystem } from "../../hosts/bun/BunActorSystem.ts";
import { openRemoteLibsql, type RemoteLibsqlSql } from "../../hosts/cluster/storage/remoteLibsql.ts";
import { fenceCheck, fenceSchema, readFence, takeFence, type FenceStay } from "../../actors/storage/ownerFence.ts";
import { moveFenceSchema } from "../../actors/storage/moveFence.ts";
import { emptyCommit, SqlConversationStore, type Commit } from "../../actors/storage/sqlConversationStore.ts";
import { LimitsSchema } from "../../protocol/index.ts";
import { useSqld } from "./sqldFixture.ts";

const sqld = useSqld();

/** A node's Sql on the test's server, with the cluster's schema. */
async function node(): Promise<RemoteLibsqlSql> {
  const sql = await openRemoteLibsql(sqld.server.url, { requestTimeoutMs: 15_000 });
  sqld.opened.push(sql);
  await BunActorSystem.migrate(sql);
  await sql.migrate(moveFenceSchema);
  await sql.migrate(fenceSchema);
  return sql;
}

/** A stay as BunActorSystem keeps one (a token taken once, or won by a claim). */
function stay(sql: RemoteLibsqlSql, id: string): FenceStay & { refusals: number } {
  let token: Promise<number> | undefined;
  return {
    refusals: 0,
    take: () => (token ??= takeFence(sql, id)),
    holds: () => token !== undefined,
    claimed: (t) => void (token = Promise.resolve(t)),
    refused() {
      this.refusals++;
    },
  };
}

const create = (title: string): Commit => ({ ...emptyCommit(), create: { type: "group", title, epoch: `e-${title}`, ts: Date.now() } });
const message = (seq: number, author: string): Commit => ({
  ...emptyCommit(),
  events: [{ kind: "message", seq, ts: Date.now(), author, clientId: `c-${author}-${seq}`, text: `from ${author}` } as any],
});
const failure = (p: Promise<unknown>) => p.then(() => "committed", (e) => String((e as Error)?.message ?? e));

describe("owner fence on a real sqld (#16)", () => {
  test("three nodes each writing 25 at once, beside group commits and reads: every request answered, none stalls", async () => {
    const nodes = [await node(), await node(), await node()];
    const seconds = 8;
    const end = performance.now() + seconds * 1000;
    let slowest = 0;
    let done = 0;
    const timed = async (p: () => Promise<unknown>) => {
      const t = performance.now();
      await p();
      slowest = Math.max(slowest, performance.now() - t);
      done++;
    };
    let n = 0;
    await Promise.all(nodes.flatMap((sql, k) => [
      // Bursts of token writes (an INSERT … RETURNING through `first`) and reads, as 25 loads at once made.
      (async () => {
        while (performance.now() < end)
          await Promise.all(Array.from({ length: 25 }, () => timed(async () => {
            const id = `g_burst_${k}_${n++}`;
            await takeFence(sql, id);
            await sql.first("SELECT type FROM conversations WHERE id = ?", [id]);
          })));
      })(),
      // The node's group commit, fenced.
      (async () => {
        const id = `g_live_${k}`;
        const token = await takeFence(sql, id);
        for (let seq = 1; performance.now() < end; seq++)
          await timed(() => sql.batch([fenceCheck(id, token), { sql: "INSERT INTO events (conv_id, seq, kind, ts, author, text) VALUES (?, ?, 'message', ?, 'u', 'x')", args: [id, seq, Date.now()] }]));
      })(),
    ]));
    console.log(`  ${done} requests in ${seconds} s from 3 nodes, slowest ${slowest.toFixed(0)} ms`);
    expect(done).toBeGreaterThan(500);
    expect(slowest).toBeLessThan(5_000);
  }, 60_000);

  test("loading 25 conversations that do not exist writes nothing to the primary", async () => {
    const sql = await node();
    const system = new BunActorSystem(sql, LimitsSchema.parse({}), { fenced: true });
    const ids = Array.from({ length: 25 }, (_, i) => `g_absent_${i}`);
    const writesBefore = sql.writes.sent;
    const transactionsBefore = sql.stats.transactions;
    const actors = ids.map((id) => system.conversation(id));
    await Promise.all(actors.map((a) => a.ready()));
    expect(actors.map((a) => a.exists())).toEqual(ids.map(() => false));
    expect(sql.writes.sent - writesBefore).toBe(0);
    expect(sql.stats.transactions - transactionsBefore).toBe(0);
    const rows = await sql.all(`SELECT conv_id FROM conversation_fences WHERE conv_id IN (${ids.map(() => "?").join(",")})`, ids);
    expect(rows).toEqual([]);
    await system.close();
  });

  test("absent/absent: one create wins; the other is refused, and its reload takes the conversation over with a newer token", async () => {
    const [sa, sb] = [await node(), await node()];
    const id = "g_race_1";
    const [fa, fb] = [stay(sa, id), stay(sb, id)];
    const [a, b] = [new SqlConversationStore(sa, id, { fence: fa }), new SqlConversationStore(sb, id, { fence: fb })];
    expect(await a.load()).toBeNull();
    expect(await b.load()).toBeNull();
    expect(await readFence(sa, id)).toBe(0); // the loads wrote nothing
    expect(await failure(a.commit(create("a's")))).toBe("committed");
    expect(await failure(b.commit(create("b's")))).toContain("owner_fence");
    expect(fb.refusals).toBe(1);
    expect(await failure(a.commit(message(1, "ann")))).toBe("committed");
    // b's host loads it anew: it finds a's conversation and takes a token of its own.
    const b2 = new SqlConversationStore(sb, id, { fence: fb });
    const loaded = await b2.load();
    expect(loaded).toMatchObject({ title: "a's", lastSeq: 1 });
    expect(await readFence(sa, id)).toBe(2);
    // From now on a's commits are refused: never two writers.
    expect(await failure(a.commit(message(2, "ann")))).toContain("owner_fence");
    expect(await failure(b2.commit(message(2, "ben")))).toBe("committed");
    expect(await sa.all("SELECT seq, author FROM events WHERE conv_id = ? ORDER BY seq", [id])).toEqual([{ seq: 1, author: "ann" }, { seq: 2, author: "ben" }]);
  });

  test("a token taken after the absent load refuses the create; a holder of the claimed-from token that created first keeps it", async () => {
    const [sa, sb] = [await node(), await node()];
    // A take between the load and the create (a node of an older version loading it, say).
    const id = "g_taken_1";
    const a = new SqlConversationStore(sa, id, { fence: stay(sa, id) });
    expect(await a.load()).toBeNull();
    expect(await takeFence(sb, id)).toBe(1);
    expect(await failure(a.commit(create("a's")))).toContain("owner_fence");
    expect(await sa.first("SELECT id FROM conversations WHERE id = ?", [id])).toBeUndefined();
    expect(await readFence(sa, id)).toBe(1);

    // The holder of token 1 creates after the claimant read 1: the claim's compare-and-set passes,
    // the create's key refuses it, and nothing of it stays (token 1 still current).
    const id2 = "g_taken_2";
    const holder = await takeFence(sb, id2);
    const c = new SqlConversationStore(sa, id2, { fence: stay(sa, id2) });
    expect(await c.load()).toBeNull();
    await sb.batch([fenceCheck(id2, holder), { sql: "INSERT INTO conversations (id, type, title, epoch, created_ts) VALUES (?, 'group', 'holder''s', 'e', 0)", args: [id2] }]);
    expect(await failure(c.commit(create("claimant's")))).toMatch(/constraint failed/i);
    expect(await readFence(sa, id2)).toBe(holder);
    expect(await sa.first("SELECT title FROM conversations WHERE id = ?", [id2])).toEqual({ title: "holder's" });

    // A conversation loaded absent commits nothing but its create: anything else is refused.
    const id3 = "g_taken_3";
    const d = new SqlConversationStore(sa, id3, { fence: stay(sa, id3) });
    expect(await d.load()).toBeNull();
    expect(await failure(d.commit(message(1, "ann")))).toContain("owner_fence");
    expect(await sa.first("SELECT conv_id FROM conversation_fences WHERE conv_id = ?", [id3])).toBeUndefined();
  });

  test("commits asked for while the create's claim is on its way wait for its token, in order", async () => {
    const sql = await node();
    const id = "g_pipelined_1";
    const s = new SqlConversationStore(sql, id, { fence: stay(sql, id) });
    expect(await s.load()).toBeNull();
    const results = await Promise.all([failure(s.commit(create("t"))), failure(s.commit(message(1, "ann"))), failure(s.commit(message(2, "ann")))]);
    expect(results).toEqual(["committed", "committed", "committed"]);
    expect(await readFence(sql, id)).toBe(1);
    expect((await sql.all<{ seq: number }>("SELECT seq FROM events WHERE conv_id = ? ORDER BY seq", [id])).map((r) => r.seq)).toEqual([1, 2]);
  });
});
