/**
 * A lost region's conversations over sockets (issue #16 "Region loss"; hosts/cluster/farSessions.ts):
 * regions a and b, 20 ms one way between them, every node given the other region's primary. Bob (in
 * a) is connected to a b-homed group through a1; region b is lost (its only node and its libSQL
 * server killed). His client reconnects through a1 and gets a read-only session from a1's replica of
 * b's primary: welcome `readOnly`, the messages acked before the loss, gap-free resume (a replica
 * behind his cursor says `recovered: false` and how far it goes), a send refused with the retryable
 * `storage_unavailable`, a non-member refused; thread pages read-only from the replica too (search is
 * not served from it: 503; a search of all his conversations names it as left out); his a-homed
 * conversation keeps working, and so do his list and inbox socket (his inbox is homed in a, where he
 * signed up, though a group made through b touched it first). Region b back: the read-only socket is closed 1012, the reconnect
 * reaches b1 writable and resumes without a gap, and storage holds every acked message once. Times
 * are printed for docs/cluster.md.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Nexus, newClientId, type Session } from "../support/client.ts";
import type { TestSocket } from "../support/socket.ts";
import { startSqld } from "../support/servers.ts";
import { gauge, startCluster, type ClusterNode, type LocalCluster } from "./harness.ts";

const WAN_MS = 20;
const BEFORE = 30;
let cl: LocalCluster;
let a1: ClusterNode, b1: ClusterNode;
let alice: Session, bob: Session, carol: Session;
/** Homed in b (created through b1); homed in a (created through a1). */
let farConv = "", nearConv = "";
/** Seqs and texts of the messages acked in the b-homed group, in order. */
const acked: { seq: number; text: string }[] = [];
let threadReply: { seq: number } = { seq: 0 };

beforeAll(async () => {
  cl = await startCluster([{ id: "a1", region: "a" }, { id: "b1", region: "b" }],
    { NEXUS_SENDS_PER_SECOND: "10000", NEXUS_MOVE_CHECK_MS: "0" }, { wanMs: WAN_MS, farReplicas: true });
  ({ a1, b1 } = cl.nodes as Record<string, ClusterNode>);
  alice = await new Nexus(b1.url).register("rl-alice");
  // His inbox is homed in a, where he signed up, though alice's group (made through b1) is the first
  // to tell it anything (Host.claimInboxHome): so he keeps his list and inbox socket while b is lost.
  bob = await new Nexus(a1.url).register("rl-bob");
  carol = await new Nexus(a1.url).register("rl-carol");
  farConv = (await alice.createGroup("homed in b", [bob])).id;
  for (let i = 0; i < BEFORE; i++) {
    const text = `before ${i}`;
    const r = await alice.must("POST", `/v1/conversations/${farConv}/messages`, { clientId: newClientId("rl"), text }, 201);
    acked.push({ seq: r.seq, text });
    // A thread under the first message (replies are not in the main timeline: not in `acked`).
    if (i === 0) threadReply = await alice.must("POST", `/v1/conversations/${farConv}/messages`,
      { clientId: newClientId("rl"), text: "in the thread", threadRoot: r.seq }, 201);
  }
  nearConv = (await bob.createGroup("homed in a", [alice])).id;
}, 120_000);
afterAll(async () => {
  await cl?.stop();
}, 60_000);

/** Joins until a welcome arrives (an upgrade refused 503 while the loss is being noticed, or a
 *  socket closed before its welcome, is tried again as a client would); returns it and when. */
async function joinWhenServed(who: Session, id: string, resume: { after?: number; epoch?: string }, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  let attempts = 0;
  for (;;) {
    attempts++;
    let sock: TestSocket | undefined;
    try {
      sock = await who.openConversation(id, resume);
      const welcome = await sock.welcome(5000);
      return { sock, welcome, at: performance.now(), attempts };
    } catch (e) {
      await sock?.close().catch(() => {});
      if (Date.now() > until) throw new Error(`no welcome within ${timeoutMs} ms (${attempts} attempts): ${(e as Error).message}`);
      await Bun.sleep(100);
    }
  }
}

const seqsOf = (events: any[]) => events.map((e: any) => e.seq);
const consecutive = (xs: number[]) => xs.every((x, i) => i === 0 || x === xs[i - 1]! + 1);

let readOnlySock: TestSocket;
let readOnlyLastSeq = 0;
let epoch = "";
let lost = 0;

describe("cluster: a lost region's conversations over sockets", () => {
  test("region b lost: a member through a gets a read-only session from a1's replica; writes refused; his a-homed conversation works", async () => {
    // a1's replica of b opens on the first history read and, read while warm, syncs to the newest seq.
    for (const until = Date.now() + 20_000; (await gauge(a1, "nexus_far_replica_pages")) < 1 && Date.now() < until; await Bun.sleep(200))
      await bob.must("GET", `/v1/conversations/${farConv}/messages`);
    expect(await gauge(a1, "nexus_far_replica_pages")).toBeGreaterThanOrEqual(1); // a fresh page: the replica held the newest seq

    const live = await bob.join(farConv); // bridged from a1 to b1
    expect(live.welcome.readOnly).toBeUndefined();
    epoch = live.welcome.conversation.epoch;
    // One more message right before the loss: a1's replica may or may not have pulled it.
    const late = await alice.must("POST", `/v1/conversations/${farConv}/messages`, { clientId: newClientId("rl"), text: "late" }, 201);
    acked.push({ seq: late.seq, text: "late" });
    await live.sock.next((f) => f.t === "event" && f.e.seq === late.seq);

    await Promise.all([b1.kill(), cl.sqlds.b!.proc.kill()]);
    lost = performance.now();
    const closed = await Promise.race([live.sock.closed, Bun.sleep(15_000).then(() => null)]);
    expect(closed).not.toBeNull(); // the bridge to b1 is closed once b1 is declared gone
    const closedMs = performance.now() - lost;

    // The client resumes after what it has: the replica never claims more than it holds.
    const r = await joinWhenServed(bob, farConv, { after: late.seq, epoch });
    const welcomeMs = r.at - lost;
    expect(r.welcome.readOnly).toBe(true);
    const w = r.welcome;
    expect(w.conversation.lastSeq).toBeLessThanOrEqual(late.seq);
    expect(seqsOf(w.events).every((s: number) => s <= w.conversation.lastSeq)).toBe(true);
    if (w.recovered) {
      expect(w.conversation.lastSeq).toBe(late.seq); // the replica had "late": nothing after it to replay
      expect(w.events).toEqual([]);
    } else {
      expect(w.conversation.lastSeq).toBeLessThan(late.seq); // behind the client: said, not papered over
      const shown = w.events.filter((e: any) => e.kind === "message").map((e: any) => e.seq);
      expect(shown).toEqual(acked.filter((m) => m.seq <= w.conversation.lastSeq).map((m) => m.seq));
    }
    // A new client (no cursor) gets the newest page: every message acked before the replica's sync.
    const fresh = await bob.join(farConv);
    expect(fresh.welcome.readOnly).toBe(true);
    const texts = fresh.welcome.events.filter((e: any) => e.kind === "message").map((e: any) => e.text);
    for (const m of acked.slice(0, BEFORE)) expect(texts).toContain(m.text);
    const messageSeqs = fresh.welcome.events.filter((e: any) => e.kind === "message").map((e: any) => e.seq);
    expect(messageSeqs).toEqual(acked.filter((m) => m.seq <= fresh.welcome.conversation.lastSeq).map((m) => m.seq));
    // Resume from inside the replica's log: exactly the events after the cursor.
    const mid = acked[BEFORE - 5]!.seq;
    const resumed = await bob.join(farConv, { after: mid, epoch });
    expect(resumed.welcome.recovered).toBe(true);
    expect(consecutive([mid, ...seqsOf(resumed.welcome.events)])).toBe(true);
    expect(resumed.welcome.events.at(-1).seq).toBe(resumed.welcome.conversation.lastSeq);
    await resumed.sock.close();
    await fresh.sock.close();

    // Writes are refused with the retryable code, and nothing is stored.
    const refused = await r.sock.sendMessage("while b is lost");
    expect(refused).toMatchObject({ t: "error", code: "storage_unavailable" });
    // A non-member is refused by the replica's members table.
    const stranger = await carol.openConversation(farConv);
    expect((await stranger.closed).code).toBe(4003);
    // REST history and thread pages say read-only too; search is not served from the replica.
    const get = (path: string) => fetch(`${a1.url}${path}`, { headers: { authorization: `Bearer ${bob.token}` } });
    const page = await get(`/v1/conversations/${farConv}/messages`);
    expect(page.status).toBe(200);
    expect(page.headers.get("x-nexus-read-only")).toBe("1");
    const thread = await get(`/v1/conversations/${farConv}/threads/${acked[0]!.seq}`);
    expect(thread.status).toBe(200);
    expect(thread.headers.get("x-nexus-read-only")).toBe("1");
    const threadBody = (await thread.json()) as any;
    expect(threadBody.root.text).toBe("before 0");
    expect(threadBody.replies.map((e: any) => [e.seq, e.text])).toEqual([[threadReply.seq, "in the thread"]]);
    expect(threadBody.readOnly).toBe(true);
    const strangerThread = await fetch(`${a1.url}/v1/conversations/${farConv}/threads/${acked[0]!.seq}`, { headers: { authorization: `Bearer ${carol.token}` } });
    expect(strangerThread.status).toBe(403);
    const search = await get(`/v1/search?${new URLSearchParams({ q: "before", conversationId: farConv })}`);
    expect(search.status).toBe(503);

    // Bob's conversation homed in a: writable over a socket meanwhile.
    const near = await bob.join(nearConv);
    expect(near.welcome.readOnly).toBeUndefined();
    expect((await near.sock.sendMessage("a is fine")).t).toBe("ack");
    await near.sock.close();
    // His conversation list and inbox socket through a1 work meanwhile (his inbox is homed in a).
    const list = await bob.must("GET", "/v1/conversations");
    expect(list.conversations.map((c: any) => c.id).sort()).toEqual([farConv, nearConv].sort());
    const inbox = await bob.openInbox();
    expect((await inbox.next("inbox")).conversations.map((c: any) => c.id).sort()).toEqual([farConv, nearConv].sort());
    await inbox.close();
    // Searching all his conversations still finds it; the lost one is named as left out.
    const everywhere = await get(`/v1/search?${new URLSearchParams({ q: "fine" })}`);
    expect(everywhere.status).toBe(200);
    const found = (await everywhere.json()) as any;
    expect(found.hits.map((h: any) => [h.conversationId, h.event.text])).toEqual([[nearConv, "a is fine"]]);
    expect(found.unavailable).toEqual([farConv]);
    expect(await gauge(a1, "nexus_far_sessions_held")).toBe(1);

    readOnlySock = r.sock;
    readOnlyLastSeq = w.conversation.lastSeq;
    console.log(`[region-loss] WAN ${WAN_MS} ms one way; b1 and b's sqld killed: bridged socket closed ${closedMs.toFixed(0)} ms after, ` +
      `read-only welcome through a1 ${welcomeMs.toFixed(0)} ms after the kill (${r.attempts} attempts); resume after the late message: ` +
      `${w.recovered ? "recovered (the replica had it)" : `recovered: false, the replica's lastSeq ${w.conversation.lastSeq} < ${late.seq}`}`);
  }, 120_000);

  test("region b back: the read-only socket is closed 1012, the reconnect is writable and resumes without a gap, nothing acked is lost", async () => {
    expect(readOnlySock).toBeDefined();
    const old = cl.sqlds.b!;
    cl.sqlds.b = await startSqld({ dir: old.dir, port: old.port });
    await b1.start();
    const back = performance.now();
    const closed = await Promise.race([readOnlySock.closed, Bun.sleep(30_000).then(() => null)]);
    expect(closed?.code).toBe(1012);
    const closedMs = performance.now() - back;

    const r = await joinWhenServed(bob, farConv, { after: readOnlyLastSeq, epoch });
    expect(r.welcome.readOnly).toBeUndefined();
    expect(r.welcome.recovered).toBe(true);
    // Exactly what the replica lacked ("late", if it did), from b1.
    expect(seqsOf(r.welcome.events)).toEqual(acked.filter((m) => m.seq > readOnlyLastSeq).map((m) => m.seq));
    const ack = await r.sock.sendMessage("b is back");
    expect(ack.t).toBe("ack");
    const ackMs = performance.now() - back;
    acked.push({ seq: ack.seq, text: "b is back" });
    await r.sock.close();

    // Storage holds every acked message once, in order; the refused send is not there.
    const all = (await alice.fullHistory(farConv, 100)).filter((e: any) => e.kind === "message");
    expect(all.map((e: any) => [e.seq, e.text])).toEqual(acked.map((m) => [m.seq, m.text]));
    expect(await gauge(a1, "nexus_far_sessions_ended")).toBeGreaterThanOrEqual(1);
    console.log(`[region-loss] b's sqld and b1 back: read-only socket closed 1012 ${closedMs.toFixed(0)} ms after b1 served /health; ` +
      `first ack on the writable session ${ackMs.toFixed(0)} ms after (${r.attempts} join attempts)`);
  }, 120_000);
});
