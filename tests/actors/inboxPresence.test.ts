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
import type { ActorMesh, Connection } from "../../actors/ports.ts";
import { InboxActor } from "../../actors/inbox/InboxActor.ts";
import { openLibsql, type LibsqlSql } from "../../hosts/bun/storage/libsqlSql.ts";
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

test("an inbox socket that stops reading is closed with 4008 instead of queueing every summary; presence follows the sockets left", async () => {
  const sql = await openLibsql(join(dir, "slow.db"));
  sqls.push(sql);
  await SqlInboxStore.migrate(sql);
  const told: Presence[] = [];
  const inbox = new InboxActor("u1", { store: new SqlInboxStore(sql, "u1"), clock: timerClock, mesh: recordingMesh(told), maxSocketBufferBytes: 4096 });
  await inbox.apply({ summary: row("c1"), durable: true });

  let backlog = 0;
  const stalledFrames: string[] = [];
  const closes: number[] = [];
  const acks: number[] = [];
  const stalled: Connection = {
    id: "stalled", userId: "u1", ackChars: 65_536,
    send: (f) => void stalledFrames.push(f),
    close: (code) => void closes.push(code),
    buffered: () => backlog,
    received: (n) => void acks.push(n),
  };
  const readerFrames: string[] = [];
  const reader = socket("u1", readerFrames);
  await inbox.connect(stalled);
  await inbox.connect(reader);
  // The host asked for acks on this socket: the first frame says so, and acks reach the connection.
  expect(JSON.parse(stalledFrames[0]!)).toMatchObject({ t: "inbox", flow: { ackChars: 65_536 } });
  expect(JSON.parse(readerFrames[0]!).flow).toBeUndefined();
  await inbox.receive(stalled, JSON.stringify({ t: "received", chars: 1234 }));
  expect(acks).toEqual([1234]);
  expect(stalledFrames.some((f) => JSON.parse(f).t === "error")).toBe(false);

  await inbox.apply({ summary: { ...row("c1"), lastSeq: 2 }, durable: true });
  expect(closes).toEqual([]);
  backlog = 5000; // past the limit
  await inbox.apply({ summary: { ...row("c1"), lastSeq: 3 }, durable: true });
  expect(closes).toEqual([4008]);
  const sentToStalled = stalledFrames.length;
  await inbox.apply({ summary: { ...row("c1"), lastSeq: 4 }, durable: true });
  expect(stalledFrames.length).toBe(sentToStalled); // nothing more for a closed socket
  expect(readerFrames.filter((f) => JSON.parse(f).t === "conv").map((f) => JSON.parse(f).c.lastSeq)).toEqual([2, 3, 4]);
  expect((await inbox.presence()).status).toBe("online"); // the reader is still there
  // A frame from the dropped socket, still in flight before its close completes, changes nothing.
  await inbox.receive(stalled, JSON.stringify({ t: "presence", status: "away" }));
  expect((await inbox.presence()).status).toBe("online");

  inbox.disconnect(stalled); // the host's close callback for the dropped socket: no double counting
  expect((await inbox.presence()).status).toBe("online");
  inbox.disconnect(reader);
  expect((await inbox.presence()).status).toBe("offline");
  await inbox.close();
});
