/**
 * The status a user chose (away) outlives the inbox actor's memory: a Durable Object inbox that
 * hibernates is rebuilt from storage with its sockets still open (restore) and must come back away,
 * not online. Real libSQL file, a fresh InboxActor per "incarnation" over the same storage.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Presence } from "../../protocol/index.ts";
import type { ActorMesh, Connection } from "../../actors/driver.ts";
import { InboxActor } from "../../actors/inbox/InboxActor.ts";
import { openLibsql, type LibsqlSql } from "../../actors/storage/libsqlSql.ts";
import { SqlInboxStore } from "../../actors/storage/sqlInboxStore.ts";
import { timerClock } from "../../actors/timerClock.ts";

const dir = mkdtempSync(join(tmpdir(), "nexus-inbox-presence-"));
const sqls: LibsqlSql[] = [];
afterAll(async () => {
  for (const s of sqls) await s.close();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

/** A mesh that records the presence the inbox announces to its contacts. */
function recordingMesh(told: Presence[]): ActorMesh {
  return {
    notifyInbox() {},
    syncInbox: async () => {},
    ring() {},
    presenceChanged: (_to, p) => void told.push(p),
    presenceOf: async () => [],
  };
}

function socket(userId: string, frames: string[]): Connection {
  return { id: Math.random().toString(36).slice(2), userId, send: (f) => void frames.push(f), close() {}, buffered: () => 0 };
}

/** A contact, so that presence changes are announced to somebody. */
const row = (id: string) => ({ id, type: "direct", title: "", lastSeq: 1, lastTs: 1, unread: 0, lastMessage: null,
  members: [{ userId: "u1", username: "u1", role: "member" }, { userId: "u2", username: "u2", role: "member" }] }) as any;

test("away survives a new incarnation that restores the open socket; a fresh connection after going offline is online", async () => {
  const sql = await openLibsql(join(dir, "nexus.db"));
  sqls.push(sql);
  await SqlInboxStore.migrate(sql);
  const told: Presence[] = [];
  const make = () => new InboxActor("u1", { store: new SqlInboxStore(sql, "u1"), clock: timerClock, mesh: recordingMesh(told) });

  const first = make();
  await first.apply({ summary: row("c1"), durable: true });
  const frames: string[] = [];
  const conn = socket("u1", frames);
  await first.connect(conn);
  expect((await first.presence()).status).toBe("online");
  await first.receive(conn, JSON.stringify({ t: "presence", status: "away" }));
  expect((await first.presence()).status).toBe("away");
  expect(told.at(-1)).toMatchObject({ userId: "u1", status: "away" });
  await first.close(); // flushes the write-behind, as the object's storage would hold it

  // The object slept; a new incarnation loads and re-attaches the socket without a new connect.
  const second = make();
  await second.ready();
  second.restore(conn);
  expect((await second.presence()).status).toBe("away");

  // Back to online is stored the same way.
  await second.receive(conn, JSON.stringify({ t: "presence", status: "online" }));
  await second.close();
  const third = make();
  await third.ready();
  third.restore(conn);
  expect((await third.presence()).status).toBe("online");

  // Away again, then every socket closes: the next connection starts a new session, online.
  await third.receive(conn, JSON.stringify({ t: "presence", status: "away" }));
  third.disconnect(conn);
  expect((await third.presence()).status).toBe("offline");
  await third.close();
  const fourth = make();
  await fourth.connect(socket("u1", []));
  expect((await fourth.presence()).status).toBe("online");
  await fourth.close();
  const fifth = make();
  await fifth.ready();
  fifth.restore(conn);
  expect((await fifth.presence()).status).toBe("online");
  await fifth.close();
});
