/**
 * Inbox writers fenced as conversations are (actors/storage/inboxWriterFence.ts, #16), on a real
 * sqld with two "nodes" (each its own connection and BunActorSystem, as cluster nodes hold them)
 * against one primary:
 * - an inbox owner "paused" with write-behind pending and a settings change on its way; a second
 *   owner takes the inbox over and stores a setting the user is answered for and a newer summary;
 *   the first goes on: its write-behind and its setting are refused (never acknowledged), it stops
 *   writing (no retry) and its next use loads what the new owner stored. Without the fence the same
 *   interleaving stores the stale owner's rows over the new owner's (the control below);
 * - the other order: a stale write that lands before the new owner's first write is read by the new
 *   owner after its refused write, and its user's retry stores both;
 * - inbox loads write nothing (presence lookups of 25 contacts);
 * - a move's import advances the fence: a writer of an earlier copy in that database is refused.
 */
import { describe, expect, test } from "bun:test";
import { BunActorSystem } from "../../hosts/bun/BunActorSystem.ts";
import { openRemoteLibsql, type RemoteLibsqlSql } from "../../hosts/cluster/storage/remoteLibsql.ts";
import { fenceSchema, readFence } from "../../actors/storage/ownerFence.ts";
import { moveFenceSchema, moveStamp } from "../../actors/storage/moveFence.ts";
import { clearMoved, importPage } from "../../actors/storage/actorTransfer.ts";
import { INBOX_MOVES } from "../../actors/storage/movableKinds.ts";
import { SqlInboxStore } from "../../actors/storage/sqlInboxStore.ts";
import type { InboxActor } from "../../actors/inbox/InboxActor.ts";
import { defaultNotifySettings, LimitsSchema, type ConversationSummary } from "../../protocol/index.ts";
import { useSqld } from "./sqldFixture.ts";

const sqld = useSqld();

/** A node: its Sql on the test's server (the cluster's schema) and its actors, fenced or not. */
async function node(fenced = true): Promise<{ sql: RemoteLibsqlSql; actors: BunActorSystem }> {
  const sql = await openRemoteLibsql(sqld.server.url, { requestTimeoutMs: 15_000 });
  sqld.opened.push(sql);
  await BunActorSystem.migrate(sql);
  await sql.migrate(moveFenceSchema);
  await sql.migrate(fenceSchema);
  return { sql, actors: new BunActorSystem(sql, LimitsSchema.parse({}), { fenced }) };
}

const summary = (id: string, lastSeq: number, unread: number) =>
  ({ id, type: "group", title: id, members: [], lastSeq, lastTs: 1000 + lastSeq, preview: null, unread, readSeq: lastSeq - unread }) as ConversationSummary;
const me = (userId: string) => ({ userId });
const outcome = (p: Promise<unknown>) => p.then(() => "stored", (e) => String((e as { code?: string })?.code ?? (e as Error)?.message ?? e));

/** What storage holds of the inbox (read without any actor). */
async function stored(sql: RemoteLibsqlSql, userId: string) {
  const { rows, notify } = await new SqlInboxStore(sql, userId).load();
  return { rows: Object.fromEntries(rows.map((r) => [r.id, { lastSeq: r.lastSeq, unread: r.unread }])), dnd: notify.dnd.pausedUntil !== null, conversations: notify.conversations };
}

/** Waits until the instance's write-behind has run (it holds nothing and has nothing scheduled). */
async function writtenBehind(inbox: InboxActor): Promise<void> {
  for (const deadline = Date.now() + 10_000; !inbox.idle(); await Bun.sleep(50))
    if (Date.now() > deadline) throw new Error("write-behind did not run within 10 s");
}

/**
 * S owns u's inbox and has written it once; a summary reaches it and waits behind (2 s). S stops
 * (paused): N takes the inbox over, loads it, stores a do-not-disturb pause (answered) and a newer,
 * read summary (durable). S goes on: its write-behind, then a settings change that waited for it
 * (notifications of g_first1 off). Returns what S sent and answered, and what is stored.
 */
async function staleOwnerAfterTakeover(fenced: boolean, userId: string) {
  const s = await node(fenced);
  const n = await node(fenced);
  const inboxS = s.actors.inbox(userId);
  await inboxS.apply({ summary: summary("g_first1", 1, 1), durable: true });
  await inboxS.apply({ summary: summary("g_first1", 3, 3) }); // held behind
  const tokenBefore = fenced ? await readFence(s.sql, userId, INBOX_MOVES.fence) : 0;

  // S is paused here. N takes over: loads, and its user is answered for each write.
  const inboxN = n.actors.inbox(userId);
  const settings = await inboxN.setDnd(me(userId), { schedule: null, pauseMinutes: 60 });
  // (S's write-behind is due 2 s after the summary: this must all happen before it.)
  expect(settings.dnd.pausedUntil).not.toBeNull();
  await inboxN.apply({ summary: summary("g_first1", 5, 0), durable: true });
  expect(inboxS.idle()).toBe(false);

  // S goes on: its write-behind runs, then the settings change that waited for it.
  const atResume = s.sql.stats.transactions;
  await writtenBehind(inboxS);
  const afterWriteBehind = s.sql.stats.transactions;
  const mute = await outcome(inboxS.setConversationNotify(me(userId), "g_first1", { level: "nothing", mute: null }));
  const afterMute = s.sql.stats.transactions;
  await Bun.sleep(2_500); // a failed write-behind is retried after 1 s: none may follow a refusal
  return {
    s, n, inboxS, mute, tokenBefore,
    sSent: { writeBehind: afterWriteBehind - atResume, mute: afterMute - afterWriteBehind, afterwards: s.sql.stats.transactions - afterMute },
    stored: await stored(n.sql, userId),
  };
}

describe("inbox owner fence on a real sqld (#16)", () => {
  test("a stale owner's write-behind and settings write after a takeover are refused; the stored state is the new owner's", async () => {
    const r = await staleOwnerAfterTakeover(true, "u_stale_1");
    // Its write-behind was sent once and refused; the mute that waited for it is never acknowledged
    // (the caller is told to retry) nor sent; nothing is sent again (no retry of the write-behind).
    expect(r.sSent).toEqual({ writeBehind: 1, mute: 0, afterwards: 0 });
    expect(r.mute).toBe("storage_unavailable");
    // Storage holds what the new owner stored and answered for: its DND, its newer summary.
    expect(r.stored).toEqual({ rows: { g_first1: { lastSeq: 5, unread: 0 } }, dnd: true, conversations: {} });
    // S's host forgot the refused instance; its next use loads what N stored.
    const again = r.s.actors.inbox("u_stale_1");
    expect(again).not.toBe(r.inboxS);
    expect((await again.list(me("u_stale_1"))).map((c) => [c.id, c.lastSeq, c.unread])).toEqual([["g_first1", 5, 0]]);
    expect((await again.notifySettings(me("u_stale_1"))).dnd.pausedUntil).not.toBeNull();
    // The token moved once per committed write: S's first, N's two; S's refused ones moved nothing.
    expect(await readFence(r.n.sql, "u_stale_1", INBOX_MOVES.fence)).toBe(r.tokenBefore + 2);
  });

  test("control, without the fence: the same interleaving stores the stale owner's rows over the new owner's", async () => {
    const r = await staleOwnerAfterTakeover(false, "u_unfenced_1");
    expect(r.mute).toBe("stored"); // acknowledged by a node that no longer owned the inbox
    // N's acknowledged DND is gone (S wrote its whole settings, built without it), and N's newer
    // summary was overwritten by S's older one.
    expect(r.stored).toEqual({ rows: { g_first1: { lastSeq: 3, unread: 3 } }, dnd: false, conversations: { g_first1: { level: "nothing" } } });
  });

  test("a stale write that lands before the new owner's first write: the new owner's write is refused, it reloads, and the retry keeps both", async () => {
    const userId = "u_stale_2";
    const s = await node();
    const n = await node();
    const inboxS = s.actors.inbox(userId);
    await inboxS.apply({ summary: summary("g_first1", 1, 1), durable: true });
    const inboxN = n.actors.inbox(userId);
    await inboxN.ready(); // N took over and loaded; it has written nothing yet
    await inboxS.apply({ summary: summary("g_second", 4, 4), durable: true }); // S, not knowing, writes
    expect(await outcome(inboxN.setDnd(me(userId), { schedule: null, pauseMinutes: 30 }))).toBe("storage_unavailable");
    const retried = n.actors.inbox(userId);
    expect(retried).not.toBe(inboxN);
    expect(await outcome(retried.setDnd(me(userId), { schedule: null, pauseMinutes: 30 }))).toBe("stored");
    expect(await stored(n.sql, userId)).toEqual({ rows: { g_first1: { lastSeq: 1, unread: 1 }, g_second: { lastSeq: 4, unread: 4 } }, dnd: true, conversations: {} });
    // And S, which has not read N's write, can no longer write.
    expect(await outcome(inboxS.setDnd(me(userId), { schedule: null, pauseMinutes: 0 }))).toBe("storage_unavailable");
    expect((await stored(n.sql, userId)).dnd).toBe(true);
  });

  test("loading 25 inboxes (a presence lookup of 25 contacts) writes nothing to the primary", async () => {
    const { sql, actors } = await node();
    const ids = Array.from({ length: 25 }, (_, i) => `u_contact_${i}`);
    const writesBefore = sql.writes.sent;
    const transactionsBefore = sql.stats.transactions;
    const presence = await actors.presenceOf(ids);
    expect(presence.map((p) => p.userId)).toEqual(ids);
    expect(sql.writes.sent - writesBefore).toBe(0);
    expect(sql.stats.transactions - transactionsBefore).toBe(0);
    expect(await sql.all(`SELECT user_id FROM inbox_fences WHERE user_id IN (${ids.map(() => "?").join(",")})`, ids)).toEqual([]);
    // The first write of one of them claims its fence from 0.
    await actors.inbox(ids[0]!).setDnd(me(ids[0]!), { schedule: null, pauseMinutes: 5 });
    expect(await readFence(sql, ids[0]!, INBOX_MOVES.fence)).toBe(1);
  });

  test("a move's import advances the fence: a writer of an earlier copy in the target database is refused", async () => {
    const userId = "u_moved_back";
    const { sql, actors } = await node();
    // A stay of this inbox here, before it moved away: loaded, and its write to come.
    const earlier = actors.inbox(userId);
    await earlier.ready();
    // It comes back: the copy is imported (under a tombstone), then the new home's load lifts it.
    const back = { ...defaultNotifySettings(), conversations: { g_ninth9: { level: "mentions" as const } } };
    const stamp = moveStamp();
    await importPage(INBOX_MOVES, sql, userId, { table: "notify_settings", columns: ["user_id", "settings"], rows: [[userId, JSON.stringify(back)]] },
      { stamp, to: "a", first: true });
    await clearMoved(INBOX_MOVES, sql, userId, stamp);
    expect(await outcome(earlier.setDnd(me(userId), { schedule: null, pauseMinutes: 10 }))).toBe("storage_unavailable");
    expect(await stored(sql, userId)).toEqual({ rows: {}, dnd: false, conversations: { g_ninth9: { level: "mentions" } } });
  });
});
