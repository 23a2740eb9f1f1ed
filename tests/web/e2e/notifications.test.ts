/**
 * Notifications in Chromium (#19): the bell menu of a conversation (level, mute; the muted icon in
 * the list, on every device of the user; a muted conversation leaves the tab title), do-not-disturb
 * in the user's menu, drafts that survive a reload and show in the list, the mention badge and the
 * in-conversation button jumping to the oldest unread mention, and Web Push: subscribe in the page
 * (service worker + PushManager) → the server's push reaches a local push service, which verifies
 * the VAPID JWT and decrypts it (tests/support/pushEndpoint.ts) → the service worker shows it.
 *
 * Not reachable here: Chromium's own push service (PushManager.subscribe needs Google's FCM), so
 * PushManager.subscribe is replaced in the page by one that returns a subscription to the local push
 * service (keys made by the test); the push arrives at the service worker through the DevTools
 * protocol (ServiceWorker.deliverPushMessage) with the payload the local push service decrypted.
 * Clicking the system notification cannot be driven from here either.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { Nexus, newClientId, type Session } from "../../support/client.ts";
import { startPushEndpoint, type PushEndpoint } from "../../support/pushEndpoint.ts";
import { launchChromium, NexusServer, openConversation, type Person, registerPerson, send, shot, startDirect, until } from "./harness.ts";

setDefaultTimeout(120_000); // a loaded 2-core box: each step waits for a condition, none sleeps

let push: PushEndpoint;
let server: NexusServer;
let browser: Browser;
let alice: Person;
let bob: Person;
let nx: Nexus;
let aliceApi: Session;
let bobApi: Session;
let dmId: string;

beforeAll(async () => {
  push = startPushEndpoint();
  server = await NexusServer.start({ NODE_EXTRA_CA_CERTS: push.caFile, RATE_LIMIT_PER_MINUTE: "100000" });
  browser = await launchChromium();
  alice = await registerPerson(browser, server, "alice");
  bob = await registerPerson(browser, server, "bob");
  nx = new Nexus(server.url);
  aliceApi = await nx.login(alice.username, "password-123");
  bobApi = await nx.login(bob.username, "password-123");
}, 120_000);

afterAll(async () => {
  await nx?.closeAll();
  await browser?.close();
  await server?.stop();
  push?.stop();
}, 30_000);

const item = (p: Page, id: string) => p.locator(`[data-testid="conversation-item"][data-conversation-id="${id}"]`);

describe("notifications", () => {
  test("bell menu: level and mute, muted icon on every device, the tab title leaves it out", async () => {
    dmId = await startDirect(alice.page, bob.username);
    await send(alice.page, "hello bob");
    await item(bob.page, dmId).waitFor();
    const other = await bob.context.newPage(); // a second tab: its own inbox socket
    await other.goto("/");
    await item(other, dmId).waitFor({ timeout: 60_000 }); // a whole app start: slow on a loaded box
    await until(other, async () => (await other.title()) === "(1) Nexus", "unread in the title");

    await openConversation(bob.page, dmId);
    await bob.page.getByTestId("notify-menu").click();
    await bob.page.getByTestId("notify-settings").waitFor();
    await bob.page.getByTestId("notify-level-mentions").check();
    await bob.page.getByTestId("mute-480").click();
    await bob.page.getByTestId("muted-until").waitFor();
    expect(await bob.page.getByTestId("notify-level-mentions").isChecked()).toBe(true);
    await shot(bob.page, "notification-settings");
    await bob.page.getByTestId("unmute").click();
    await bob.page.getByTestId("muted-until").waitFor({ state: "detached" });
    expect(await bob.page.getByTestId("notify-level-mentions").isChecked()).toBe(true); // the level stays
    await bob.page.getByTestId("mute-forever").click();
    await until(bob.page, async () => (await bob.page.getByTestId("muted-until").textContent()) === "Muted until you unmute", "muted for good");
    await bob.page.keyboard.press("Escape");
    expect(await bob.page.getByTestId("notify-menu").getAttribute("data-muted")).toBe("true");
    await item(bob.page, dmId).getByTestId("muted-icon").waitFor();
    await item(other, dmId).getByTestId("muted-icon").waitFor(); // synced by the server's notify frame
    expect((await bobApi.must("GET", "/v1/me/notifications")).conversations[dmId]).toEqual({ level: "mentions", muted: { until: null } });

    // Not looking at it any more: a new message is unread, but a muted chat stays out of the title.
    await bob.page.evaluate(() => (location.hash = "#/"));
    await bob.page.getByTestId("conversation-view").waitFor({ state: "detached" });
    await send(alice.page, "still there?");
    await until(other, async () => (await item(other, dmId).getByTestId("unread-badge").count()) === 1, "unread in the list");
    expect(await other.title()).toBe("Nexus");
    // Unmuted (here through REST, as another device would): the other tab follows at once.
    await bobApi.must("PUT", `/v1/me/notifications/conversations/${dmId}`, { level: "all" });
    await item(other, dmId).getByTestId("muted-icon").waitFor({ state: "detached" });
    await until(other, async () => /^\(\d+\) Nexus$/.test(await other.title()), "unmuted: counted in the title again");
    await other.close();
  });

  test("do not disturb: pause, a daily schedule in my time zone, resume", async () => {
    await bob.page.getByTestId("open-dnd").click();
    await bob.page.getByTestId("dnd-settings").waitFor();
    expect(await bob.page.getByTestId("dnd-state").textContent()).toBe("Notifications are on.");
    await bob.page.getByTestId("pause-60").click();
    await bob.page.getByTestId("paused-until").waitFor();
    expect(await bob.page.getByTestId("dnd-state").textContent()).toBe("Notifications are paused now.");
    await bob.page.getByTestId("dnd-from").fill("21:30");
    await bob.page.getByTestId("dnd-to").fill("06:45");
    await bob.page.getByTestId("dnd-save").click();
    const zone = await bob.page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
    await until(bob.page, async () => (await bob.page.getByTestId("dnd-schedule").textContent()) === `Quiet every day 21:30–06:45 (${zone})`, "schedule shown");
    const stored = await bobApi.must("GET", "/v1/me/notifications");
    expect(stored.dnd.schedule).toEqual({ from: "21:30", to: "06:45", timeZone: zone });
    expect(stored.dnd.pausedUntil).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(await bob.page.getByTestId("open-dnd").getAttribute("aria-label")).toBe("Do not disturb");
    await bob.page.getByTestId("resume").click();
    await bob.page.getByTestId("dnd-off").click();
    await bob.page.getByTestId("dnd-schedule").waitFor({ state: "detached" });
    await bob.page.keyboard.press("Escape");
    expect((await bobApi.must("GET", "/v1/me/notifications")).dnd).toEqual({ schedule: null, pausedUntil: null });
  });

  test("a draft survives a reload and shows in the list", async () => {
    const group = await aliceApi.createGroup("Drafts", [bobApi]);
    await item(bob.page, group.id).waitFor();
    await openConversation(bob.page, dmId);
    await bob.page.getByTestId("composer-input").fill("half a thought");
    await openConversation(bob.page, group.id);
    await until(bob.page, async () => (await item(bob.page, dmId).getByTestId("conversation-preview").textContent()) === "Draft: half a thought", "draft in the list");
    await bob.page.reload();
    await item(bob.page, dmId).waitFor({ timeout: 60_000 });
    expect(await item(bob.page, dmId).getByTestId("conversation-preview").textContent()).toBe("Draft: half a thought");
    await openConversation(bob.page, dmId);
    expect(await bob.page.getByTestId("composer-input").inputValue()).toBe("half a thought");
    await bob.page.getByTestId("composer-input").press("Enter");
    await openConversation(bob.page, group.id);
    await until(bob.page, async () => (await item(bob.page, dmId).getByTestId("conversation-preview").textContent()) === "You: half a thought", "sent: no draft");
  });

  test("jump to the oldest unread mention, from the list badge and from the conversation", async () => {
    const group = await aliceApi.createGroup("Busy", [bobApi]);
    // Sends are limited per user per second: a 429 is waited out as its Retry-After says.
    const post = async (text: string, mentions?: string[]): Promise<{ seq: number }> => {
      const body = { clientId: newClientId("m"), text, ...(mentions ? { mentions } : {}) };
      for (;;) {
        const res = await aliceApi.api("POST", `/v1/conversations/${group.id}/messages`, body);
        if (res.status === 201) return res.body;
        if (res.status !== 429) throw new Error(`send: ${res.status} ${res.text}`);
        await Bun.sleep(Math.max(100, Number(res.body?.error?.retryAfter ?? 0.2) * 1000));
      }
    };
    await post("before anything");
    const first = await post(`@${bob.username} the first question`, [bobApi.id]);
    for (let i = 0; i < 70; i++) await post(`filler ${i}`);
    await post(`@${bob.username} the second`, [bobApi.id]);
    for (let i = 0; i < 5; i++) await post(`tail ${i}`);

    await item(bob.page, group.id).getByTestId("mention-badge").waitFor();
    await item(bob.page, group.id).getByTestId("mention-badge").click();
    const target = bob.page.locator(`[data-testid="message"][data-seq="${first.seq}"]`);
    await target.waitFor();
    await until(bob.page, async () => await target.isVisible() && (await target.boundingBox())!.y > 0, "the first mention in view");
    expect(await target.getByTestId("message-text").textContent()).toBe(`@${bob.username} the first question`);

    // Opened the ordinary way (the row, not the badge): the button in the conversation jumps.
    await openConversation(bob.page, dmId);
    const again = await post(`@${bob.username} once more`, [bobApi.id]);
    for (let i = 0; i < 10; i++) await post(`more filler ${i}`);
    await until(bob.page, async () => (await item(bob.page, group.id).getByTestId("mention-badge").count()) === 1, "a new mention badge");
    await openConversation(bob.page, group.id);
    await bob.page.getByTestId("jump-to-mention").click();
    const next = bob.page.locator(`[data-testid="message"][data-seq="${again.seq}"]`);
    await next.waitFor();
    await until(bob.page, async () => await next.isVisible(), "the unread mention in view");
    await bob.page.getByTestId("jump-to-mention").waitFor({ state: "detached" });
  });

  test("web push: subscribe in the page, the push reaches the push service and the service worker shows it", async () => {
    const sub = push.subscription();
    const page = await bob.context.newPage();
    // Chromium's PushManager would subscribe at FCM: it answers with the local push service instead.
    await page.addInitScript((s: { endpoint: string; keys: { p256dh: string; auth: string } }) => {
      const fake = { endpoint: s.endpoint, expirationTime: null, options: {}, getKey: () => null, unsubscribe: async () => true,
        toJSON: () => ({ endpoint: s.endpoint, expirationTime: null, keys: s.keys }) };
      let subscribed = false;
      const w = window as unknown as { __applicationServerKey?: number[] };
      PushManager.prototype.subscribe = async function (o?: PushSubscriptionOptionsInit) {
        w.__applicationServerKey = Array.from(new Uint8Array(o!.applicationServerKey as ArrayBuffer));
        subscribed = true;
        return fake as unknown as PushSubscription;
      };
      PushManager.prototype.getSubscription = async function () {
        return (subscribed ? fake : null) as unknown as PushSubscription;
      };
    }, sub);
    await bob.context.grantPermissions(["notifications"], { origin: server.url });
    await page.goto("/");
    await page.getByTestId("open-dnd").click();
    await until(page, async () => (await page.getByTestId("push-state").textContent()) === "Off on this device.", "push off");
    await page.getByTestId("push-toggle").click();
    await until(page, async () => (await page.getByTestId("push-state").textContent())!.startsWith("On:"), "push on");
    // Subscribed with the server's VAPID key, and the server has this device.
    const { publicKey } = await bobApi.must("GET", "/v1/push/key");
    expect(await page.evaluate(() => (window as unknown as { __applicationServerKey: number[] }).__applicationServerKey)).toEqual([...Buffer.from(publicKey, "base64url")]);
    expect((await bobApi.must("GET", "/v1/push/subscriptions")).endpoints).toContain(sub.endpoint);
    expect(await page.evaluate(async () => !!(await navigator.serviceWorker.getRegistration("/"))?.active)).toBe(true);

    // Bob closes every tab: a direct message now goes out as a push.
    const cdpPage = page;
    const cdp = await bob.context.newCDPSession(cdpPage);
    let registrationId = "";
    cdp.on("ServiceWorker.workerRegistrationUpdated", (e: { registrations: { registrationId: string; scopeURL: string }[] }) => {
      for (const r of e.registrations) if (r.scopeURL.startsWith(server.url)) registrationId = r.registrationId;
    });
    await cdp.send("ServiceWorker.enable");
    for (const p of bob.context.pages()) if (p !== cdpPage) await p.close();
    await cdpPage.goto("about:blank"); // keeps the DevTools session, closes Nexus's sockets
    const { sock } = await aliceApi.join(dmId);
    const sent = await sock.sendMessage("are you coming tonight?");
    await until(alice.page, async () => push.deliveries.some((d) => d.subscription === sub.endpoint), "the push at the push service", 30_000);
    const delivered = push.deliveries.find((d) => d.subscription === sub.endpoint)!;
    expect(delivered.payload).toEqual({ conversationId: dmId, kind: "direct", title: alice.username, body: "are you coming tonight?", seq: sent.seq });
    expect(delivered.claims.aud).toBe(push.origin);
    expect(delivered.vapidKey).toBe(publicKey);
    expect(push.refused).toEqual([]);

    // What the browser would hand the service worker after decrypting: it shows the notification.
    await until(alice.page, async () => registrationId !== "", "the service worker's registration id");
    await cdp.send("ServiceWorker.deliverPushMessage", { origin: server.url, registrationId, data: JSON.stringify(delivered.payload) });
    await cdpPage.goto("/");
    await until(cdpPage, async () =>
      (await cdpPage.evaluate(async () => (await (await navigator.serviceWorker.getRegistration("/"))?.getNotifications())?.length ?? 0)) > 0, "notification shown");
    const shown = await cdpPage.evaluate(async () =>
      (await (await navigator.serviceWorker.getRegistration("/"))!.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data })));
    expect(shown[0]).toEqual({ title: alice.username, body: "are you coming tonight?", tag: dmId, data: { conversationId: dmId, seq: sent.seq } });
  });
});
