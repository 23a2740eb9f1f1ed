/**
 * Bad networks. (1) The server dies while alice keeps typing: her sends are queued, survive a page
 * reload, and flush in order when it is back; bob gets each exactly once. (2) Bob's sockets are cut
 * while alice sends: he resumes from his last seq (after=&epoch=) with no gap and no duplicate.
 * (3) He misses more than the server will replay (NEXUS_REPLAY_CAP): `recovered: false`, and the
 * client reloads its window from history.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser, WebSocketRoute } from "playwright-core";
import { launchChromium, messageTexts, NexusServer, openConversation, type Person, registerPerson, send, shot, startDirect, until } from "./harness.ts";

setDefaultTimeout(90_000);
const REPLAY_CAP = 5;

let server: NexusServer;
let browser: Browser;
let alice: Person;
let bob: Person;
let conversationId: string;
/** Bob's live sockets and the URLs they were opened with, through a WebSocket route we can cut. */
const bobSockets: WebSocketRoute[] = [];
const bobSocketUrls: string[] = [];
let bobCut = false;
const bobWelcomes: boolean[] = [];
let dropNextAck = false;
let droppedClientId: string | null = null;

beforeAll(async () => {
  server = await NexusServer.start({ NEXUS_REPLAY_CAP: String(REPLAY_CAP) });
  browser = await launchChromium();
  alice = await registerPerson(browser, server, "alice");
  bob = await registerPerson(browser, server, "bob");
  await bob.page.routeWebSocket(/\/v1\/ws\//, (ws) => {
    bobSocketUrls.push(ws.url());
    if (bobCut) return void ws.close({ code: 1006 as any, reason: "cut" }).catch(() => ws.close());
    const upstream = ws.connectToServer();
    // Forward by hand so the test can see each welcome's `recovered` flag.
    upstream.onMessage((m) => {
      if (typeof m === "string" && m.startsWith('{"t":"welcome"')) bobWelcomes.push(JSON.parse(m).recovered);
      ws.send(m);
    });
    bobSockets.push(ws);
  });
  // Alice's sockets pass through a route that can swallow the ack of a send (see "lost ack").
  await alice.page.routeWebSocket(/\/v1\/ws\//, (ws) => {
    const upstream = ws.connectToServer();
    let deaf = false;
    ws.onMessage((m) => {
      upstream.send(m);
      if (dropNextAck && typeof m === "string" && m.startsWith('{"t":"send"')) {
        dropNextAck = false;
        droppedClientId = JSON.parse(m).clientId;
        // The frame reached the server; the page never hears back on this socket.
        deaf = true;
        void ws.close({ code: 4000, reason: "lost ack" }).catch(() => {});
      }
    });
    upstream.onMessage((m) => {
      if (!deaf) ws.send(m);
    });
  });
  // Reload so the sockets open through the routes.
  await alice.page.reload();
  await alice.page.locator('[data-testid="conn-state"][data-state="connected"]').waitFor();
  await bob.page.reload();
  await bob.page.locator('[data-testid="conn-state"][data-state="connected"]').waitFor();
  conversationId = await startDirect(alice.page, bob.username);
  await send(alice.page, "before the outage");
  await openConversation(bob.page, conversationId);
  await until(bob.page, async () => (await messageTexts(bob.page)).includes("before the outage"), "bob has the first message");
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
}, 30_000);

const connState = (p: Person) => p.page.getByTestId("conn-state").getAttribute("data-state");

describe("offline queue and resume", () => {
  test("server stopped: sends queue, survive a reload, flush in order once it is back", async () => {
    await server.kill();
    await until(alice.page, async () => (await connState(alice)) !== "connected", "alice sees the connection drop");
    expect(["reconnecting", "offline"]).toContain((await connState(alice))!);

    for (const text of ["queued one", "queued two", "queued three"]) await send(alice.page, text);
    const queued = alice.page.locator('[data-testid="message"][data-status="queued"]');
    await until(alice.page, async () => (await queued.count()) === 3, "three queued rows");
    expect(await alice.page.getByTestId("queued-count").textContent()).toBe("3 queued");
    await shot(alice.page, "offline-queued");

    // The server comes back, but alice's API is still unreachable; she reloads the page meanwhile.
    await alice.context.route("**/v1/**", (r) => r.abort("connectionrefused"));
    await server.boot();
    await alice.page.reload();
    await alice.page.getByTestId("conversation-view").waitFor();
    await until(alice.page, async () => (await queued.count()) === 3, "queued rows survive the reload");
    expect(await messageTexts(alice.page)).toEqual(["queued one", "queued two", "queued three"]);

    await alice.context.unroute("**/v1/**");
    // Bob, connected to the restarted server, gets all three once and in order.
    await until(bob.page, async () => (await messageTexts(bob.page)).length >= 4, "bob receives the queued messages", 40_000);
    await until(alice.page, async () => (await queued.count()) === 0, "alice's queue drains", 40_000);
    expect(await messageTexts(bob.page)).toEqual(["before the outage", "queued one", "queued two", "queued three"]);
    await until(alice.page, async () => (await messageTexts(alice.page)).length === 4, "alice's window loaded", 20_000);
    expect(await messageTexts(alice.page)).toEqual(["before the outage", "queued one", "queued two", "queued three"]);
    // Each socket reconnects on its own backoff; the badge turns "connected" once all are back.
    await until(alice.page, async () => (await connState(alice)) === "connected", "alice shows connected", 20_000);
    expect(await connState(alice)).toBe("connected");
    // After a reload nothing is resent or shown twice.
    await alice.page.reload();
    await until(alice.page, async () => (await messageTexts(alice.page)).length === 4, "history after reload");
    expect(await messageTexts(alice.page)).toEqual(["before the outage", "queued one", "queued two", "queued three"]);
  });

  test("lost ack: the send is retried with the same clientId and shown once on both sides", async () => {
    // Sends go over the conversation socket when it is open: wait for it, so the ack can be lost there.
    await alice.page.locator('[data-testid="conversation-view"][data-socket="open"]').waitFor();
    const before = await messageTexts(bob.page);
    dropNextAck = true;
    await send(alice.page, "ack lost on the way");
    await until(alice.page, async () => droppedClientId !== null, "the ack was dropped");
    const row = alice.page.locator(`[data-testid="message"][data-client-id="${droppedClientId}"]`);
    await until(alice.page, async () => (await row.getAttribute("data-status")) === "delivered", "alice's resend acknowledged", 40_000);
    await until(bob.page, async () => (await messageTexts(bob.page)).includes("ack lost on the way"), "bob got it");
    expect(await messageTexts(bob.page)).toEqual([...before, "ack lost on the way"]);
    expect((await messageTexts(alice.page)).filter((t) => t === "ack lost on the way")).toHaveLength(1);
  });

  test("socket cut: bob resumes from his last seq with no gap and no duplicate", async () => {
    await until(bob.page, async () => (await connState(bob)) === "connected", "bob connected");
    const before = bobSocketUrls.length;
    const welcomesBefore = bobWelcomes.length;
    bobCut = true;
    for (const ws of bobSockets.splice(0)) await ws.close({ code: 1006 as any, reason: "cut" }).catch(() => ws.close());
    await until(bob.page, async () => (await connState(bob)) !== "connected", "bob sees the cut");
    const sent = ["while cut 1", "while cut 2", "while cut 3"];
    for (const t of sent) await send(alice.page, t);
    await until(alice.page, async () => (await alice.page.locator('[data-testid="message"][data-status="delivered"]').count()) === 8, "alice's sends acked");
    bobCut = false;
    await until(bob.page, async () => (await messageTexts(bob.page)).length === 8, "bob caught up", 40_000);
    expect(await messageTexts(bob.page)).toEqual(["before the outage", "queued one", "queued two", "queued three", "ack lost on the way", ...sent]);
    const resumed = bobSocketUrls.slice(before).filter((u) => u.includes(`/conversations/${conversationId}`) && /[?&]after=\d+/.test(u) && /[?&]epoch=/.test(u));
    expect(resumed.length).toBeGreaterThan(0);
    expect(bobWelcomes.slice(welcomesBefore)).toContain(true);
  });

  test("beyond the replay cap: recovered:false reloads the window from history", async () => {
    bobCut = true;
    const welcomesBefore = bobWelcomes.length;
    for (const ws of bobSockets.splice(0)) await ws.close({ code: 1006 as any, reason: "cut" }).catch(() => ws.close());
    await until(bob.page, async () => (await connState(bob)) !== "connected", "bob sees the cut");
    const burst = Array.from({ length: REPLAY_CAP + 3 }, (_, i) => `burst ${i + 1}`);
    for (const t of burst) await send(alice.page, t);
    await until(alice.page, async () => (await alice.page.locator('[data-testid="message"][data-status="delivered"]').count()) === 8 + burst.length, "burst acked");
    bobCut = false;
    await until(bob.page, async () => (await messageTexts(bob.page)).includes(burst.at(-1)!), "bob has the newest page", 40_000);
    const texts = await messageTexts(bob.page);
    // Every message is there once (the window is rebuilt, not appended to), in order.
    expect(new Set(texts).size).toBe(texts.length);
    expect(texts.slice(-burst.length)).toEqual(burst);
    expect(bobWelcomes.slice(welcomesBefore)).toContain(false);
  });

  test("the browser going offline shows 'offline' (and no stale presence), and coming back reconnects", async () => {
    const bobsDot = alice.page.locator(`[data-testid="conversation-item"][data-conversation-id="${conversationId}"] [data-testid="presence-dot"]`);
    await until(alice.page, async () => (await bobsDot.getAttribute("data-status")) === "online", "bob shown online");
    await alice.context.setOffline(true);
    await until(alice.page, async () => (await connState(alice)) === "offline", "alice sees offline");
    // Alice cannot know who is online while she is not: bob's dot does not stay green.
    await until(alice.page, async () => (await bobsDot.getAttribute("data-status")) === "offline", "bob's presence unknown");
    await alice.context.setOffline(false);
    await until(alice.page, async () => (await connState(alice)) === "connected", "alice reconnected", 30_000);
    await until(alice.page, async () => (await bobsDot.getAttribute("data-status")) === "online", "bob online again", 30_000);
  });

  // #16: while a conversation's storage cannot be reached a cluster node sends `storage
  // {readOnly: true}` (tests/cluster/storageOutage.test.ts), then `{readOnly: false}`. Here the two
  // frames are put into bob's real conversation socket by its WebSocket route (this server is one
  // node with a local file, which does not go read-only).
  test("a storage frame with readOnly: true shows the read-only banner; readOnly: false takes it away", async () => {
    const banner = bob.page.getByTestId("read-only");
    await until(bob.page, async () => (await connState(bob)) === "connected", "bob connected");
    expect(await banner.count()).toBe(0);
    const socket = () => bobSockets.filter((ws) => ws.url().includes(`/conversations/${conversationId}`)).at(-1)!;
    socket().send(JSON.stringify({ t: "storage", readOnly: true }));
    await banner.waitFor();
    expect(await banner.textContent()).toMatch(/^Read-only for now/);
    await shot(bob.page, "read-only-banner");
    socket().send(JSON.stringify({ t: "storage", readOnly: false }));
    await banner.waitFor({ state: "detached" });
    expect(await banner.count()).toBe(0);
  });
});
