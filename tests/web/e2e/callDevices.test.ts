/**
 * Issue #20, defects 2 and 3 in Chromium: bob on a desktop and a phone; answering on the phone stops
 * the ringing on the desktop at once. A call to someone with no device online ends within seconds as
 * missed, and they find "Missed video call" in their list (counted as unread) and in the conversation
 * when they come back.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { launchChromium, MEDIA_FLAGS, NexusServer, openConversation, type Person, registerPerson, startDirect, until } from "./harness.ts";

setDefaultTimeout(90_000);

let server: NexusServer;
let browser: Browser;
let alice: Person;
let bob: Person;
let bobPhone: Page;

/** A second device for `p`: its own context (storage), logged in through the UI. */
async function secondDevice(p: Person, viewport: { width: number; height: number }): Promise<Page> {
  const context = await browser.newContext({ viewport, baseURL: server.url });
  const page = await context.newPage();
  await page.goto("/");
  await page.getByTestId("auth-username").fill(p.username);
  await page.getByTestId("auth-password").fill("password-123");
  await page.getByTestId("auth-submit").click();
  await page.locator('[data-testid="conn-state"][data-state="connected"]').waitFor();
  return page;
}

beforeAll(async () => {
  server = await NexusServer.start();
  browser = await launchChromium(MEDIA_FLAGS);
  alice = await registerPerson(browser, server, "alice");
  bob = await registerPerson(browser, server, "bob");
  bobPhone = await secondDevice(bob, { width: 390, height: 844 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
}, 30_000);

describe("calls across devices", () => {
  test("answered on the phone: the desktop stops ringing at once", async () => {
    await startDirect(alice.page, bob.username);
    await alice.page.getByTestId("call-audio").click();
    const ringing = (p: Page) => p.locator('[data-testid="call-overlay"][data-phase="incoming"]');
    await ringing(bob.page).waitFor();
    await ringing(bobPhone).waitFor();
    await bobPhone.getByTestId("call-accept").click();
    // Well before alice would hang up (45 s): the desktop ends its ring and says why.
    await bob.page.locator('[data-testid="call-overlay"][data-phase="ended"]').waitFor({ timeout: 10_000 });
    expect(await bob.page.getByTestId("call-state").textContent()).toBe("Answered on another device");
    for (const p of [alice.page, bobPhone]) await p.locator('[data-testid="call-overlay"][data-phase="connected"][data-ice="connected"]').waitFor({ timeout: 30_000 });
    // On the phone the call window fits the screen, controls included, and full window covers it.
    const inside = async () => {
      const b = (await bobPhone.getByTestId("call-overlay").boundingBox())!;
      return b.x >= 0 && b.y >= 0 && b.x + b.width <= 390 && b.y + b.height <= 844;
    };
    expect(await inside()).toBe(true);
    expect(await bobPhone.getByTestId("call-hangup").isVisible()).toBe(true);
    await bobPhone.getByTestId("call-fullscreen").click();
    expect(await bobPhone.getByTestId("call-overlay").boundingBox()).toEqual({ x: 0, y: 0, width: 390, height: 844 });
    expect(await bobPhone.getByTestId("call-hangup").isVisible()).toBe(true);
    await bobPhone.getByTestId("call-fullscreen").click();
    expect(await inside()).toBe(true);
    // The phone's call is untouched by the desktop giving up.
    expect(await ringing(bob.page).count()).toBe(0);
    await alice.page.getByTestId("call-hangup").click();
    await bobPhone.locator('[data-testid="call-overlay"][data-phase="ended"]').waitFor();
    await alice.page.getByTestId("call-dismiss").click();
  });

  test("calling someone offline ends quickly as missed, and they see the missed call when back", async () => {
    const carl = await registerPerson(browser, server, "carl");
    const id = await startDirect(alice.page, carl.username);
    await carl.context.close(); // carl has no device online now
    const started = Date.now();
    await alice.page.getByTestId("call-video").click();
    await alice.page.locator('[data-testid="call-overlay"][data-phase="ended"]').waitFor({ timeout: 15_000 });
    const tookMs = Date.now() - started;
    expect(await alice.page.getByTestId("call-state").textContent()).toBe("No answer");
    expect(tookMs).toBeLessThan(15_000);
    await alice.page.locator('[data-testid="system-line"]', { hasText: "Missed video call" }).waitFor();

    const back = await secondDevice(carl, { width: 1200, height: 800 });
    const row = back.locator(`[data-testid="conversation-item"][data-conversation-id="${id}"]`);
    await row.waitFor();
    // The list says so, counted as unread, until carl opens the conversation.
    expect(await row.getByTestId("conversation-preview").textContent()).toBe("Missed video call");
    expect(await row.getByTestId("conversation-preview").getAttribute("data-call")).toBe("missed");
    expect(await row.getByTestId("unread-badge").textContent()).toBe("1");
    const callerRow = alice.page.locator(`[data-testid="conversation-item"][data-conversation-id="${id}"] [data-testid="conversation-preview"]`);
    await until(alice.page, async () => (await callerRow.textContent()) === "Video call · no answer", "the caller's list says no answer");
    await openConversation(back, id);
    await row.locator('[data-testid="unread-badge"]').waitFor({ state: "detached" });
    await back.locator('[data-testid="system-line"]', { hasText: "Missed video call" }).waitFor();
  });
});
