/**
 * The storage side of moving an inbox between two databases (actors/storage/actorTransfer.ts with
 * the inbox's tables, movableKinds.ts; the cluster's steps are tests/cluster/inboxMoves.test.ts):
 * the tombstone fences every insert, update and delete of the old copy, a load of it refuses with
 * `movedTo`, the copy is exact, an empty inbox moves too, a page of another attempt is refused, and
 * the hand-over writes what the inbox held behind (and what updates under way applied) and closes
 * its sockets with 1012.
 */
import { expect, test } from "bun:test";
import { defaultNotifySettings, type ConversationSummary } from "../../protocol/index.ts";
import type { ActorMesh, Connection } from "../../actors/ports.ts";
import { InboxActor } from "../../actors/inbox/InboxActor.ts";
import { emptyPage, exportRows, importedCopy, importPage, markMoved, retireRows, type RowCounts } from "../../actors/storage/actorTransfer.ts";
import { INBOX_MOVES } from "../../actors/storage/movableKinds.ts";
import { moveStamp } from "../../actors/storage/moveFence.ts";
import { SqlInboxStore } from "../../actors/storage/sqlInboxStore.ts";
import { timerClock } from "../../actors/timerClock.ts";
import type { LibsqlSql } from "../../hosts/bun/storage/libsqlSql.ts";
import { movableDatabases } from "./movableDatabases.ts";

/** A region's primary, as a cluster node migrates it. */
const region = movableDatabases("nexus-inbox-transfer-");

const summary = (id: string, unread: number, readSeq: number) =>
  ({ id, type: "group", title: id, members: [], lastSeq: 9, lastTs: 100 + unread, preview: null, unread, readSeq }) as ConversationSummary;
const sub = (n: number) => ({ endpoint: `https://push.invalid/${n}`, keys: { p256dh: "p".repeat(87), auth: "a".repeat(22) } });

/** What a write answers: "written", or its error (bun 1.4.5's `expect(p).rejects.toThrow` never settled on these refusals here). */
const outcome = (p: Promise<unknown>) => p.then(() => "written", (e) => String((e as Error)?.message ?? e));

/** Copy every page of `id` from one database to another, as homeMoves.ts does; the rows sent. */
async function copy(from: LibsqlSql, to: LibsqlSql, id: string, stamp: number): Promise<RowCounts> {
  const sent: RowCounts = {};
  let first = true;
  for await (const page of exportRows(INBOX_MOVES, from, id)) {
    await importPage(INBOX_MOVES, to, id, page, { stamp, to: "c", first });
    first = false;
    sent[page.table] = (sent[page.table] ?? 0) + page.rows.length;
  }
  if (first) await importPage(INBOX_MOVES, to, id, emptyPage(INBOX_MOVES), { stamp, to: "c", first });
  return sent;
}

test("a moved inbox: the old copy is fenced and refuses loads; the new copy is exact once confirmed", async () => {
  const [a, c] = [await region("a"), await region("c")];
  const old = new SqlInboxStore(a, "u1");
  await old.save([summary("g_one", 3, 6), summary("g_two", 0, 9)], [], 1234, "away");
  const notify = { ...defaultNotifySettings(), dnd: { schedule: null, pausedUntil: 99 } };
  await old.saveNotify(notify as never);
  await old.addPushSubscription(sub(1), 1);
  await old.addPushSubscription(sub(2), 2);
  const before = { ...(await old.load()), notify: await old.loadNotify(), push: await old.pushSubscriptions() };

  const stamp = moveStamp();
  await markMoved(INBOX_MOVES, a, "u1", "c", stamp);
  // Every kind of write to the old copy is refused, deletes included.
  expect(await outcome(old.save([summary("g_three", 1, 0)], []))).toMatch(/move_fence/);
  expect(await outcome(old.removePushSubscription(sub(1).endpoint))).toMatch(/move_fence/);
  expect(await outcome(old.save([], ["g_one"]))).toMatch(/move_fence/);
  await expect(old.load()).rejects.toMatchObject({ code: "unavailable", details: { movedTo: "c" } });

  const sent = await copy(a, c, "u1", stamp);
  expect(sent).toEqual({ inbox_rows: 2, last_seen: 1, chosen_status: 1, notify_settings: 1, push_subscriptions: 2 });
  expect(await importedCopy(INBOX_MOVES, c, "u1")).toEqual({ stamp, rows: sent });
  // Until the home has switched, the new copy is fenced as well.
  expect(await outcome(new SqlInboxStore(c, "u1").saveNotify(notify as never))).toMatch(/move_fence/);
  // A late page of another attempt does not mix into it.
  expect(await outcome(importPage(INBOX_MOVES, c, "u1", emptyPage(INBOX_MOVES), { stamp: stamp - 1, to: "c", first: false }))).toMatch(/move_guard|constraint/);

  await retireRows(INBOX_MOVES, a, "u1");
  expect(await importedCopy(INBOX_MOVES, a, "u1")).toEqual({ stamp, rows: {} });
  // The new home's load, confirmed by the host (its region is the home now), lifts the tombstone.
  const moved = new SqlInboxStore(c, "u1", async () => ({ current: true }));
  expect({ ...(await moved.load()), notify: await moved.loadNotify(), push: await moved.pushSubscriptions() }).toEqual(before);
  await moved.removePushSubscription(sub(1).endpoint); // writable again
});

test("an empty inbox moves as an empty, tombstoned copy", async () => {
  const [a, c] = [await region("a2"), await region("c2")];
  const stamp = moveStamp();
  await markMoved(INBOX_MOVES, a, "u2", "c", stamp);
  expect(await copy(a, c, "u2", stamp)).toEqual({});
  expect(await importedCopy(INBOX_MOVES, c, "u2")).toEqual({ stamp, rows: {} });
  expect((await new SqlInboxStore(c, "u2", async () => ({ current: true })).load()).rows).toEqual([]);
});

test("the hand-over closes the inbox's sockets with 1012 and writes what it held behind; nothing after", async () => {
  const sql = await region("h");
  const mesh: ActorMesh = { notifyInbox() {}, syncInbox: async () => {}, ring() {}, presenceChanged() {}, presenceOf: async () => [] };
  const inbox = new InboxActor("u3", { store: new SqlInboxStore(sql, "u3"), clock: timerClock, mesh });
  const closes: number[] = [];
  const conn: Connection = { id: "s1", userId: "u3", send() {}, close: (code) => void closes.push(code), buffered: () => 0 };
  await inbox.connect(conn);
  await inbox.apply({ summary: summary("g_held", 2, 1) }); // written behind (2 s)
  // Under way as the hand-over starts (releasing its uploads takes a storage round trip first).
  const late = inbox.apply({ summary: summary("g_late", 1, 0), sentUploads: ["up1"] });
  await inbox.handOver();
  await late;
  expect(closes).toEqual([1012]);
  expect((await new SqlInboxStore(sql, "u3").load()).rows.map((r) => r.id).sort()).toEqual(["g_held", "g_late"]);
  inbox.disconnect(conn); // the host's late close of that socket
  expect(inbox.idle()).toBe(true); // no write scheduled
});
