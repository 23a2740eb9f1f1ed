/**
 * A move's first import page that commits late (its request timed out, hosts/cluster/homeMoves.ts)
 * must not wipe the copy a later attempt made, checked and switched the home to (moveFence.ts
 * `importPrecondition`). Found in review with these same storage functions: before the fix the late
 * page was accepted, the new home's first load lifted its tombstone and served a conversation with no
 * members and no events, and the old region's rows were already retired: 6 events lost, one of them
 * acknowledged after the first attempt had given up.
 */
import { expect, test } from "bun:test";
import { exportRows, importedCopy, importPage, markMoved, clearMoved, retireRows, type TransferPage } from "../../actors/storage/actorTransfer.ts";
import { CONVERSATION_MOVES as K } from "../../actors/storage/movableKinds.ts";
import { moveStamp } from "../../actors/storage/moveFence.ts";
import type { LibsqlSql } from "../../hosts/bun/storage/libsqlSql.ts";
import { movableDatabases } from "./movableDatabases.ts";

/** A region's primary, as a cluster node migrates it. */
const region = movableDatabases("nexus-late-page-");

const message = (seq: number, clientId: string) =>
  ({ sql: "INSERT INTO events (conv_id, seq, kind, ts, author, client_id, text) VALUES ('c1', ?, 'message', ?, 'ann', ?, ?)", args: [seq, seq, clientId, `m${seq}`] });

async function pages(sql: LibsqlSql): Promise<TransferPage[]> {
  const out: TransferPage[] = [];
  for await (const p of exportRows(K, sql, "c1")) out.push(p);
  return out;
}

const count = async (sql: LibsqlSql, table: string, key: string) => Number((await sql.first<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE ${key} = 'c1'`))!.n);

test("a first page of an abandoned attempt, committing after a later attempt switched the home, is refused and the copy stays whole", async () => {
  const [r1, r2] = [await region("r1"), await region("r2")];
  await r1.batch([
    { sql: "INSERT INTO conversations (id, type, title, epoch, created_ts) VALUES ('c1', 'group', 't', 'ep1', 1)" },
    { sql: "INSERT INTO members (conv_id, user_id, username, role) VALUES ('c1', 'ann', 'ann', 'admin'), ('c1', 'ben', 'ben', 'member')" },
    ...[1, 2, 3, 4, 5].map((i) => message(i, `cid${i}`)),
  ]);

  // Attempt 1: fenced and exported; its first page is on its way when the mover gives up.
  const stamp1 = moveStamp();
  await markMoved(K, r1, "c1", "r2", stamp1);
  const late = (await pages(r1))[0]!;
  await clearMoved(K, r1, "c1", stamp1);
  await r1.batch([message(6, "cid6")]); // acknowledged by r1 after attempt 1 gave up
  await Bun.sleep(2);

  // Attempt 2: copied, checked, switched (the switch is the placement store's), old rows retired.
  const stamp2 = moveStamp();
  expect(stamp2).toBeGreaterThan(stamp1);
  await markMoved(K, r1, "c1", "r2", stamp2);
  let first = true;
  for (const p of await pages(r1)) {
    await importPage(K, r2, "c1", p, { stamp: stamp2, to: "r2", first });
    first = false;
  }
  expect((await importedCopy(K, r2, "c1")).stamp).toBe(stamp2);
  await retireRows(K, r1, "c1");

  // Attempt 1's first page lands now: refused.
  const outcome = await importPage(K, r2, "c1", late, { stamp: stamp1, to: "r2", first: true }).then(() => "written", (e) => String(e));
  expect(outcome).not.toBe("written");
  // The new home lifts its tombstone on load (the placement names it) and serves the whole log.
  await clearMoved(K, r2, "c1");
  expect(await count(r2, "members", "conv_id")).toBe(2);
  expect(await count(r2, "events", "conv_id")).toBe(6);
  expect(await count(r1, "events", "conv_id")).toBe(0);
});

test("a first page of an older attempt that lands before a newer one started is simply overwritten by the newer one", async () => {
  const [r1, r2] = [await region("s1"), await region("s2")];
  await r1.batch([
    { sql: "INSERT INTO conversations (id, type, title, epoch, created_ts) VALUES ('c1', 'group', 't', 'ep1', 1)" },
    ...[1, 2].map((i) => message(i, `cid${i}`)),
  ]);
  const stamp1 = moveStamp();
  await markMoved(K, r1, "c1", "r2", stamp1);
  const [firstPage] = await pages(r1);
  await importPage(K, r2, "c1", firstPage!, { stamp: stamp1, to: "r2", first: true }); // in time: accepted
  await clearMoved(K, r1, "c1", stamp1);
  await Bun.sleep(2);
  const stamp2 = moveStamp();
  await markMoved(K, r1, "c1", "r2", stamp2);
  let first = true;
  for (const p of await pages(r1)) {
    await importPage(K, r2, "c1", p, { stamp: stamp2, to: "r2", first });
    first = false;
  }
  const copy = await importedCopy(K, r2, "c1");
  expect(copy.stamp).toBe(stamp2);
  expect(copy.rows.events).toBe(2);
});
