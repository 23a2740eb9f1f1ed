/**
 * Moving a conversation's home between regions under load (#15; hosts/cluster/homeMoves.ts): two
 * regions with 20 ms one way injected between them, a conversation created in a whose members only
 * use c, two writers sending all along (they reconnect and resend by clientId, as the web client
 * does) and a reader that resumes with `after` + `epoch`. An account admin moves the home to c.
 * Every acknowledged message is then in the log exactly once, in each writer's order, at the seq it
 * was acked with; the reader resumes with no gap; the log lives on c's libSQL server only, and a's
 * keeps a tombstone, so a node that still believes a can never serve a stale copy.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "@nats-io/transport-node";
import { Nexus, newClientId, type Session } from "../support/client.ts";
import { BusyWriter } from "./busyWriter.ts";
import { regionRows, startCluster, type ClusterNode, type LocalCluster } from "./harness.ts";

let cl: LocalCluster;
let a1: ClusterNode, c1: ClusterNode;

beforeAll(async () => {
  cl = await startCluster([{ id: "a1", region: "a" }, { id: "c1", region: "c" }], { NEXUS_SENDS_PER_SECOND: "10000" }, { wanMs: 20 });
  ({ a1, c1 } = cl.nodes as Record<string, ClusterNode>);
}, 180_000);
afterAll(async () => {
  await cl?.stop();
}, 60_000);

const rows = (region: string, sql: string, args: string[]) => regionRows(cl, region, sql, args);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("cluster: moving a conversation's home", () => {
  let admin: Session;
  beforeAll(async () => {
    admin = await new Nexus(a1.url).register("mvadmin"); // the first account is the admin
  });

  test("under load: every ack once and in order, resume without a gap, the log on the new home only", async () => {
    const viaA = new Nexus(a1.url);
    const alice0 = await viaA.register("mva");
    const bob0 = await viaA.register("mvb");
    const conv = await alice0.createGroup("moves to c", [bob0]);
    const alice = await new Nexus(c1.url).login(alice0.username, alice0.password);
    const bob = await new Nexus(c1.url).login(bob0.username, bob0.password);

    // A reader that will resume across the move.
    const { sock: reader, welcome } = await bob.join(conv.id);
    const writers = [new BusyWriter(alice, conv.id, "wa").start(), new BusyWriter(bob, conv.id, "wb").start()];
    await sleep(1500);
    const moveStart = Date.now();
    const move = await admin.must("POST", `/v1/admin/conversations/${conv.id}/home`, { region: "c" });
    const moveEnd = Date.now();
    expect(move).toMatchObject({ from: "a", to: "c" });
    console.log(`[moves] writes paused ${move.pausedMs} ms on the owner; the admin's call took ${moveEnd - moveStart} ms`);
    // Keep writing until every writer has been acked a few times at the new home (a writer that
    // reconnected before its node heard of the move takes a few lookups more; bounded wait).
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && writers.some((w) => w.acksAfter(moveEnd) < 3); ) await sleep(100);
    console.log(`[moves] first ack at the new home: ${writers.map((w) => (w.firstAckAfter(moveEnd)?.at ?? NaN) - moveEnd).join(", ")} ms after the move`);
    for (const w of writers) await w.stop();

    // The reader was told to reconnect (1012) and resumes from the last event it saw.
    const closed = await Promise.race([reader.closed, sleep(15_000).then(() => ({ code: -1 }))]);
    expect(closed.code).toBe(1012);
    const seen = reader.all((f) => f.t === "event").map((f) => f.e.seq as number);
    const lastSeen = Math.max(welcome.conversation.lastSeq, ...seen);
    const { sock: again, welcome: resumed } = await bob.join(conv.id, { after: lastSeen, epoch: welcome.conversation.epoch });
    expect(resumed.recovered).toBe(true);
    expect(resumed.events.map((e: any) => e.seq)).toEqual(resumed.events.map((_: unknown, i: number) => lastSeen + 1 + i));
    again.close();

    // Every ack exactly once, at its seq, each writer's messages in send order, no gap anywhere.
    const history = await alice.fullHistory(conv.id);
    expect(history.map((e: any) => e.seq)).toEqual(history.map((_: unknown, i: number) => i + 1));
    const bySeq = new Map(history.map((e: any) => [e.seq, e]));
    for (const w of writers) {
      expect(w.acks.length).toBeGreaterThan(0);
      expect(w.acksAfter(moveEnd)).toBeGreaterThan(0); // writing resumed at the new home
      for (const a of w.acks) expect((bySeq.get(a.seq) as any)?.clientId).toBe(a.clientId);
      const mine = history.filter((e: any) => e.kind === "message" && e.author === (w === writers[0] ? alice.id : bob.id));
      const ids = mine.map((e: any) => e.clientId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(w.sent.map((s) => s.clientId).filter((id) => ids.includes(id)));
    }

    // The log lives on c's primary now; a's copy is gone, with a tombstone naming c.
    expect((await rows("c", "SELECT count(*) AS n FROM events WHERE conv_id = ?", [conv.id]))[0]!.n).toBe(history.length);
    expect((await rows("a", "SELECT count(*) AS n FROM events WHERE conv_id = ?", [conv.id]))[0]!.n).toBe(0);
    expect((await rows("a", "SELECT region FROM moved_conversations WHERE id = ?", [conv.id])).map((r) => r.region)).toEqual(["c"]);
    // And a's database refuses any write to it, whoever sends it (actors/storage/moveFence.ts).
    const stale = rows("a", "INSERT INTO events (conv_id, seq, kind, ts, author, client_id) VALUES (?, 1, 'message', 0, 'x', 'late')", [conv.id]);
    await expect(stale).rejects.toThrow(/move_fence/);

    // Reached through region a as well, and writable there.
    const viaAAgain = await new Nexus(a1.url).login(alice0.username, alice0.password);
    // A node that still had the old home cached finds the tombstone on load, gives the actor up and
    // routes the call on to c: one request, no 503 (was a known gap, fixed after chaos seed 37).
    const body = { clientId: newClientId("mv"), text: "after the move" };
    const res = await viaAAgain.api<any>("POST", `/v1/conversations/${conv.id}/messages`, body);
    expect(res.status).toBe(201);
    const sent = res.body;
    expect(sent.seq).toBe(history.length + 1);
  }, 120_000);

  test("a client that reconnects to the mover while the copy runs is not served from the old copy (#15)", async () => {
    // The move's owner is the node the writers' sockets are on: handing over closes them and they
    // reconnect to it at once. Before the fix the mover answered "here" (it still held the lease),
    // attached them to a fresh instance loaded from the old copy and acknowledged their messages
    // there while the copy ran; the new home continued from the copied log and re-used those seqs
    // (seen in npm run chaos, seed 2026: 14 acks lost in one move).
    const viaA = new Nexus(a1.url);
    const carol = await viaA.register("mvr");
    const dan = await viaA.register("mvs");
    const conv = await carol.createGroup("reconnects during the move", [dan]);
    // Watch the copy pass (a plain subscriber sees what the importers' queue group gets), and hold
    // it for 1.5 s once it starts (c's libSQL server paused): the reconnected writers have time to
    // be served, if the mover serves them.
    const nc = await connect({ servers: cl.nats.c!.url });
    const pages: number[] = [];
    const sqldC = cl.sqlds.c!.proc.pid;
    let held: Promise<void> | undefined;
    nc.subscribe("nexus.region.c.import", { callback: (_e, m) => {
      if (!m.json<{ page?: unknown }>().page) return;
      pages.push(Date.now());
      if (held) return;
      process.kill(sqldC, "SIGSTOP");
      held = sleep(1500).then(() => void process.kill(sqldC, "SIGCONT"));
    } });
    try {
      const writers = [new BusyWriter(carol, conv.id, "rc").start(), new BusyWriter(dan, conv.id, "rd").start()];
      while (writers.some((w) => w.acks.length < 20)) await sleep(20);
      const move = await admin.must("POST", `/v1/admin/conversations/${conv.id}/home`, { region: "c" });
      const moveEnd = Date.now();
      expect(move).toMatchObject({ from: "a", to: "c" });
      for (const deadline = Date.now() + 20_000; Date.now() < deadline && writers.some((w) => w.acksAfter(moveEnd) < 3); ) await sleep(50);
      for (const w of writers) await w.stop();
      expect(pages.length).toBeGreaterThan(0);
      const copyStart = pages[0]!;
      // Nothing was acknowledged from the moment the copy was under way until the move ended.
      const duringCopy = writers.flatMap((w) => w.acks.filter((a) => a.at > copyStart && a.at < moveEnd));
      console.log(`[moves] reconnects during the move: ${writers.map((w) => w.closes).join(", ")} closes, ${duringCopy.length} acks while the copy ran (${moveEnd - copyStart} ms)`);
      expect(duringCopy).toEqual([]);
      // Every ack exactly once, at its seq, in the log at the new home.
      const history = await carol.fullHistory(conv.id);
      expect(history.map((e: any) => e.seq)).toEqual(history.map((_: unknown, i: number) => i + 1));
      const bySeq = new Map(history.map((e: any) => [e.seq, e]));
      for (const w of writers) {
        expect(w.acksAfter(moveEnd)).toBeGreaterThan(0);
        const lost = w.acks.filter((a) => (bySeq.get(a.seq) as any)?.clientId !== a.clientId);
        expect(lost).toEqual([]);
      }
      expect((await rows("c", "SELECT count(*) AS n FROM events WHERE conv_id = ?", [conv.id]))[0]!.n).toBe(history.length);
    } finally {
      process.kill(sqldC, "SIGCONT");
      await held;
      await nc.close();
    }
  }, 120_000);

  test("only an account admin may move a home, to a region the cluster has", async () => {
    const viaA = new Nexus(a1.url);
    const carol = await viaA.register("mvc");
    const dave = await viaA.register("mvd");
    const conv = await carol.createGroup("stays", [dave]);
    const refused = await carol.api("POST", `/v1/admin/conversations/${conv.id}/home`, { region: "c" });
    expect(refused.status).toBe(403);
    const nowhere = await admin.api("POST", `/v1/admin/conversations/${conv.id}/home`, { region: "zz" });
    expect(nowhere.status).toBe(400);
    const bad = await admin.api("POST", `/v1/admin/conversations/${conv.id}/home`, { region: "C!" });
    expect(bad.status).toBe(400);
    // A region seen before whose every node is down is an outage: 503, retry later (was 400 "no
    // region named c", seen in a chaos run), and the conversation stays where it is.
    await c1.kill();
    try {
      await sleep(2500); // past the peers' dead-after (2/3 of the lease TTL): c1 is no longer listed
      const down = await admin.api("POST", `/v1/admin/conversations/${conv.id}/home`, { region: "c" });
      expect(down.status).toBe(503);
    } finally {
      await c1.start();
    }
    // Nothing moved: still written through a, on a's primary.
    await carol.must("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("mv"), text: "still in a" }, 201);
    expect((await rows("a", "SELECT count(*) AS n FROM events WHERE conv_id = ?", [conv.id]))[0]!.n).toBeGreaterThan(0);
  }, 60_000);
});
