/**
 * Long histories: infinite scroll upwards keeps every message exactly once and in order, search
 * jumps to a message that is pages back, and the message log works from the keyboard.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser } from "playwright-core";
import { launchChromium, messageTexts, NexusServer, openConversation, type Person, registerPerson, startDirect, until } from "./harness.ts";

setDefaultTimeout(90_000);
const TOTAL = 130;

let server: NexusServer;
let browser: Browser;
let alice: Person;
let bob: Person;
let conversationId: string;

beforeAll(async () => {
  // Seeding goes faster than a person types: lift the per-user send rate for this server.
  server = await NexusServer.start({ NEXUS_SENDS_PER_SECOND: "1000", RATE_LIMIT_PER_MINUTE: "100000" });
  browser = await launchChromium();
  alice = await registerPerson(browser, server, "alice");
  bob = await registerPerson(browser, server, "bob");
  conversationId = await startDirect(alice.page, bob.username);
  const token = await alice.page.evaluate(() => JSON.parse(localStorage.getItem("nexus.session")!).accessToken as string);
  for (let i = 1; i <= TOTAL; i++) {
    const res = await fetch(`${server.url}/v1/conversations/${conversationId}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ clientId: `seed_${String(i).padStart(6, "0")}`, text: `message ${i}` }),
    });
    if (!res.ok) throw new Error(`seed ${i}: ${res.status} ${await res.text()}`);
  }
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
}, 30_000);

const expected = Array.from({ length: TOTAL }, (_, i) => `message ${i + 1}`);

describe("history", () => {
  test("opens at the newest page; scrolling up loads older pages until the beginning", async () => {
    await bob.page.locator(`[data-testid="conversation-item"][data-conversation-id="${conversationId}"]`).waitFor();
    await openConversation(bob.page, conversationId);
    await until(bob.page, async () => (await messageTexts(bob.page)).at(-1) === `message ${TOTAL}`, "newest message shown");
    const first = await messageTexts(bob.page);
    expect(first.length).toBeLessThan(TOTAL);
    const list = bob.page.getByTestId("message-list");
    await until(
      bob.page,
      async () => {
        await list.evaluate((el) => el.scrollTo(0, 0));
        return (await bob.page.getByTestId("history-start").count()) === 1;
      },
      "scrolled back to the beginning",
      40_000,
    );
    expect(await messageTexts(bob.page)).toEqual(expected);
  });

  test("search jumps to a message several pages back", async () => {
    await openConversation(alice.page, conversationId);
    await alice.page.reload(); // a fresh window: only the newest page is loaded
    await until(alice.page, async () => (await messageTexts(alice.page)).at(-1) === `message ${TOTAL}`, "alice at the newest page");
    await alice.page.getByTestId("open-search").click();
    await alice.page.getByTestId("search-input").fill("message 3");
    await alice.page.getByTestId("search-submit").click();
    const hit = alice.page.locator('[data-testid="search-hit"]', { hasText: /^.*message 3$/ }).first();
    await hit.waitFor();
    const seq = await hit.getAttribute("data-seq");
    await hit.click();
    const target = alice.page.locator(`[data-testid="message"][data-seq="${seq}"]`);
    await target.waitFor();
    expect(await target.getByTestId("message-text").textContent()).toBe("message 3");
    await until(alice.page, async () => await target.evaluate((el) => el === document.activeElement), "jumped message has focus");
    const texts = await messageTexts(alice.page);
    expect(new Set(texts).size).toBe(texts.length);
  });

  test("keyboard: arrow keys reach a message, Tab reaches its actions, Enter replies", async () => {
    const page = bob.page;
    await page.getByTestId("message-list").focus();
    await page.keyboard.press("End");
    const last = page.locator('[data-testid="message"]').last();
    expect(await last.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press("ArrowUp");
    const prev = page.locator('[data-testid="message"]').nth(-2);
    expect(await prev.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press("Tab"); // react
    await page.keyboard.press("Tab"); // reply
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe("action-reply");
    await page.keyboard.press("Enter");
    await page.getByTestId("composer-context").waitFor();
    expect(await page.getByTestId("composer-context").textContent()).toContain(`message ${TOTAL - 1}`);
    // Focus moved to the message box; Escape cancels the reply.
    await page.keyboard.press("Escape");
    await page.getByTestId("composer-context").waitFor({ state: "detached" });
  });
});
