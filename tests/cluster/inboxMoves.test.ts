/**
 * Moving a user's inbox home between regions (#15; hosts/cluster/homeMoves.ts, the steps a
 * conversation's move takes, with the inbox's tables: actors/storage/movableKinds.ts): two regions
 * with 20 ms one way injected between them. An account admin's move keeps the inbox exactly as it
 * was (summaries with their unread counts and read positions, notification settings, push
 * subscriptions); the old region keeps only a tombstone and its database refuses writes to the old
 * copy; an inbox socket that resumes through the other region keeps getting updates; and the
 * automatic policy moves an inbox whose user connects only through region c (short checks here:
 * NEXUS_MOVE_*, as infra/chaos/chaos.ts FREQUENT_MOVES does).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { Nexus, newClientId, type Frame, type Session, type TestSocket } from "../support/client.ts";
import { regionRows, startCluster, type ClusterNode, type LocalCluster } from "./harness.ts";

/** The policy's knobs: a check every 500 ms, 4 samples in the window, 2 checks in a row; no move
 *  back within a minute (the cooldown), so a socket through the old region does not undo a move. */
const POLICY = { NEXUS_MOVE_CHECK_MS: "500", NEXUS_MOVE_SUSTAINED_CHECKS: "2", NEXUS_MOVE_MIN_WRITES: "4", NEXUS_MOVE_COOLDOWN_MS: "60000" };

let cl: LocalCluster;
let a1: ClusterNode, c1: ClusterNode;
let admin: Session;

beforeAll(async () => {
  cl = await startCluster([{ id: "a1", region: "a" }, { id: "c1", region: "c" }], { NEXUS_SENDS_PER_SECOND: "10000", ...POLICY }, { wanMs: 20 });
  ({ a1, c1 } = cl.nodes as Record<string, ClusterNode>);
  admin = await new Nexus(a1.url).register("imadmin"); // the first account is the admin
}, 180_000);
afterAll(() => cl?.stop(), 60_000);

const rows = (region: string, sql: string, args: string[]) => regionRows(cl, region, sql, args);
const sleep = Bun.sleep;

/** New accounts, signed in through node `via`. */
const accounts = (via: ClusterNode, ...names: string[]) => Promise.all(names.map((n) => new Nexus(via.url).register(n)));

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; ; await sleep(100)) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

/** An inbox socket and its list, reconnecting as clients do while a move is still finishing (a
 *  socket opened then is closed with 1012 at once: the actor is between homes). */
async function openInbox(s: Session): Promise<{ sock: TestSocket; list: Frame }> {
  for (let attempt = 1; ; attempt++) {
    const sock = await s.openInbox();
    try {
      return { sock, list: await sock.next("inbox") };
    } catch (e) {
      if (attempt >= 30 || sock.closeInfo?.code !== 1012) throw e;
      await sleep(200);
    }
  }
}

/** Where each region's primary says the inbox is: its rows, and a tombstone naming where it went. */
async function inboxCopies(userId: string) {
  const out: Record<string, { rows: number; movedTo: unknown }> = {};
  for (const region of ["a", "c"]) {
    const n = (await rows(region, "SELECT count(*) AS n FROM inbox_rows WHERE user_id = ?", [userId]))[0]?.n;
    const moved = await rows(region, "SELECT region FROM moved_inboxes WHERE id = ?", [userId]);
    out[region] = { rows: Number(n ?? 0), movedTo: moved[0]?.region ?? null };
  }
  return out;
}

/** Everything of the inbox a client can read. */
async function inboxView(s: Session) {
  const { conversations } = await s.must("GET", "/v1/conversations");
  return {
    conversations,
    notify: await s.must("GET", "/v1/me/notifications"),
    push: await s.must("GET", "/v1/push/subscriptions"),
  };
}

const b64url = (n: number) => randomBytes(n).toString("base64url");
const pushSubscription = (n: number) => ({ endpoint: `https://push.invalid/im/${n}`, keys: { p256dh: b64url(65), auth: b64url(16) } });

describe("cluster: moving an inbox's home", () => {
  test("an admin's move keeps summaries, unread counts, read positions, settings and push subscriptions exactly; the old copy is fenced", async () => {
    const [uma, vic, wes] = await accounts(a1, "imu", "imv", "imw");
    const group = await vic.createGroup("inbox moves", [uma, wes]);
    const direct = await wes.createDirect(uma);
    for (let i = 1; i <= 5; i++) await vic.must("POST", `/v1/conversations/${group.id}/messages`, { clientId: newClientId("im"), text: `group ${i}` }, 201);
    for (let i = 1; i <= 3; i++) await wes.must("POST", `/v1/conversations/${direct.id}/messages`, { clientId: newClientId("im"), text: `direct ${i}` }, 201);
    // Uma has read the group up to its third message (a read position short of the end).
    const { sock, welcome } = await uma.join(group.id);
    const readTo = welcome.conversation.lastSeq - 2;
    sock.send({ t: "read", seq: readTo });
    await until("the read position in Uma's list", async () =>
      (await uma.must("GET", "/v1/conversations")).conversations.find((c: any) => c.id === group.id)?.readSeq === readTo);
    await sock.close();
    await uma.must("PUT", `/v1/me/notifications/conversations/${direct.id}`, { level: "mentions", mute: "forever" });
    await uma.must("PUT", "/v1/me/notifications/dnd", { schedule: null, pauseMinutes: 90 });
    for (let i = 1; i <= 2; i++) await uma.must("POST", "/v1/push/subscriptions", pushSubscription(i), 204);

    // Summaries reach the inbox after each commit, not with it (notifyInbox): wait for the last one.
    await until("the direct chat's 3 unread in Uma's list", async () =>
      (await uma.must("GET", "/v1/conversations")).conversations.find((c: any) => c.id === direct.id)?.unread === 3);
    const before = await inboxView(uma);
    const group0 = before.conversations.find((c: any) => c.id === group.id);
    expect(group0).toMatchObject({ readSeq: readTo });
    expect(group0.unread).toBeGreaterThan(0);
    expect(before.conversations.find((c: any) => c.id === direct.id)?.unread).toBe(3);
    expect(before.push.endpoints).toHaveLength(2);
    // Homed in a, where Uma first came.
    await until("Uma's summaries written in a", async () => (await inboxCopies(uma.id)).a!.rows === 2);

    const move = await admin.must("POST", `/v1/admin/users/${uma.id}/home`, { region: "c" });
    expect(move).toMatchObject({ from: "a", to: "c" });
    console.log(`[inbox moves] writes paused ${move.pausedMs} ms`);

    // Exactly the same inbox, read through either region.
    expect(await inboxView(uma)).toEqual(before);
    expect(await inboxView(await new Nexus(c1.url).login(uma.username, uma.password))).toEqual(before);
    // It lives in c now; a keeps only a tombstone naming c.
    expect(await inboxCopies(uma.id)).toEqual({ a: { rows: 0, movedTo: "c" }, c: { rows: 2, movedTo: null } });
    for (const table of ["notify_settings", "push_subscriptions"]) {
      expect((await rows("a", `SELECT count(*) AS n FROM ${table} WHERE user_id = ?`, [uma.id]))[0]!.n).toBe(0);
      expect(Number((await rows("c", `SELECT count(*) AS n FROM ${table} WHERE user_id = ?`, [uma.id]))[0]!.n)).toBeGreaterThan(0);
    }
    // a's database refuses any write to the old copy, whoever sends it (actors/storage/moveFence.ts).
    await expect(rows("a", "INSERT INTO inbox_rows (user_id, conv_id, summary, last_ts) VALUES (?, 'x', '{}', 0)", [uma.id])).rejects.toThrow(/move_fence/);
    await expect(rows("a", "INSERT INTO notify_settings (user_id, settings) VALUES (?, '{}')", [uma.id])).rejects.toThrow(/move_fence/);

    // And it goes on at the new home: a new message counts on from the moved unread count.
    await wes.must("POST", `/v1/conversations/${direct.id}/messages`, { clientId: newClientId("im"), text: "after the move" }, 201);
    await until("the new message in Uma's list", async () =>
      (await uma.must("GET", "/v1/conversations")).conversations.find((c: any) => c.id === direct.id)?.unread === 4);
  }, 120_000);

  test("an inbox socket through the other region is told to reconnect and keeps getting updates after it resumes", async () => {
    const [xia, yan] = await accounts(a1, "imx", "imy");
    const conv = await yan.createGroup("updates follow", [xia]);
    const { sock: first, list } = await openInbox(xia);
    expect(list.conversations.map((c: any) => c.id)).toContain(conv.id);

    const move = await admin.must("POST", `/v1/admin/users/${xia.id}/home`, { region: "c" });
    expect(move).toMatchObject({ from: "a", to: "c" });
    const closed = await Promise.race([first.closed, sleep(10_000).then(() => ({ code: -1 }))]);
    expect(closed.code).toBe(1012);

    // Resumes through a (region a's node bridges it to the owner in c).
    const { sock: again, list: resumed } = await openInbox(xia);
    expect(resumed.conversations.map((c: any) => c.id)).toEqual(list.conversations.map((c: any) => c.id));
    await yan.must("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("im"), text: "do you see this" }, 201);
    const update = await again.next((f) => f.t === "conv" && f.c.id === conv.id && f.c.preview?.text === "do you see this");
    expect(update.c.unread).toBeGreaterThan(0);
    await again.close();
    expect((await inboxCopies(xia.id)).a!.movedTo).toBe("c");
  }, 60_000);

  test("the policy moves an inbox whose user connects only through region c", async () => {
    const [pia] = await accounts(a1, "imp");
    await pia.must("GET", "/v1/conversations"); // its home is placed in a
    const viaC = await new Nexus(c1.url).login(pia.username, pia.password);
    const { sock } = await openInbox(viaC);
    const t0 = Date.now();
    // With checks every 500 ms, 4 samples and 2 checks in a row: about 2.5 s, plus the move.
    const closed = await Promise.race([sock.closed, sleep(20_000).then(() => ({ code: -1 }))]);
    const tookMs = Date.now() - t0;
    console.log(`[inbox moves] the policy moved Pia's inbox ${tookMs} ms after she connected through c`);
    expect(closed.code).toBe(1012);
    // Within the configured checks: 4 samples, then 2 checks in a row (5 checks of 500 ms), one
    // more check for the phase of the timer, and the move itself.
    expect(tookMs).toBeLessThan(6 * 500 + 3000);
    const { sock: again, list } = await openInbox(viaC);
    expect(list.conversations).toEqual([]);
    await again.close();
    // Served from c's copy (its load lifted the import's tombstone); a keeps a tombstone naming c.
    expect(await inboxCopies(pia.id)).toEqual({ a: { rows: 0, movedTo: "c" }, c: { rows: 0, movedTo: null } });
  }, 60_000);

  test("a user connected through both regions keeps the inbox where it is (no region has 3/4)", async () => {
    const [kai] = await accounts(a1, "imk");
    const { sock: here } = await openInbox(kai);
    const { sock: there } = await openInbox(await new Nexus(c1.url).login(kai.username, kai.password));
    await sleep(5000); // ten checks: twice what moved Pia's
    expect(here.isClosed || there.isClosed).toBe(false);
    expect(await inboxCopies(kai.id)).toMatchObject({ a: { movedTo: null }, c: { rows: 0, movedTo: null } });
    await Promise.all([here.close(), there.close()]);
  }, 60_000);

  test("only an account admin may move an inbox, of a user that exists, to a region the cluster has", async () => {
    const [zed] = await accounts(a1, "imz");
    expect((await zed.api("POST", `/v1/admin/users/${zed.id}/home`, { region: "c" })).status).toBe(403);
    expect((await admin.api("POST", `/v1/admin/users/${zed.id}/home`, { region: "zz" })).status).toBe(400);
    expect((await admin.api("POST", `/v1/admin/users/${zed.id}/home`, { region: "C!" })).status).toBe(400);
    expect((await admin.api("POST", `/v1/admin/users/${zed.id}/home`, { region: "c", extra: 1 })).status).toBe(400);
    expect((await admin.api("POST", "/v1/admin/users/u_nobody_here/home", { region: "c" })).status).toBe(404);
    const audit = await admin.must("GET", "/v1/admin/audit?limit=100");
    expect(audit.actions.filter((x: any) => x.action === "move_inbox").length).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
