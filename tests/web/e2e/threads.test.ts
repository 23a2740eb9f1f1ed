/**
 * Threads and search as people use them (issue #19): reply in a thread from a message's actions,
 * the panel shows the root and replies with its own composer, the root counts replies, the main log
 * does not show them, the root's author (a follower) sees a thread badge until they read the thread;
 * search with filters marks matches (as text: markup in a message stays text), pages with
 * "Load more", and a hit inside a thread opens that thread.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { closeWorld, messageByText, messageTexts, NexusServer, openConversation, openWorld, type Person, send, shot, startDirect, until } from "./harness.ts";

setDefaultTimeout(90_000);

let server: NexusServer;
let browser: Browser;
let alice: Person;
let bob: Person;
let chat: string;

beforeAll(async () => {
  ({ server, browser, people: [alice, bob] } = await openWorld("alice", "bob"));
}, 120_000);

afterAll(() => closeWorld(server, browser), 30_000);

/** Messages sent over REST as `who` (many at once: typing 30 of them into the page cost ~30 s on a busy box). */
async function sendOverRest(who: Person, conversationId: string, texts: string[]): Promise<void> {
  const login = await fetch(`${server.url}/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: who.username, password: "password-123" }) });
  const token = ((await login.json()) as { accessToken: string }).accessToken;
  for (const [i, text] of texts.entries()) {
    for (;;) {
      const r = await fetch(`${server.url}/v1/conversations/${conversationId}/messages`, {
        method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ clientId: `rest_${i}_${conversationId.slice(-6)}`, text }) });
      if (r.status !== 429) {
        expect(r.status).toBeLessThan(300);
        break;
      }
      await Bun.sleep(200); // the per-user send rate: the same clientId again
    }
  }
}

const threadBadge = (page: Page, id: string) => page.locator(`[data-testid="conversation-item"][data-conversation-id="${id}"] [data-testid="thread-badge"]`);

describe("threads", () => {
  test("reply in a thread: panel, count on the root, not in the main log, the follower's badge until read", async () => {
    chat = await startDirect(alice.page, bob.username);
    await send(alice.page, "Lunch plans for Friday?");
    await send(alice.page, "Also: the printer is fixed");
    await openConversation(bob.page, chat);
    await until(bob.page, async () => (await messageTexts(bob.page)).includes("Also: the printer is fixed"), "bob has the messages");

    const root = messageByText(bob.page, "Lunch plans for Friday?");
    await root.hover();
    await root.getByTestId("action-thread").click();
    const panel = bob.page.getByTestId("thread-panel");
    await panel.waitFor();
    expect(await panel.getByTestId("thread-root").textContent()).toContain("Lunch plans for Friday?");
    await panel.getByTestId("thread-input").fill("Noodles at noon?");
    await panel.getByTestId("thread-input").press("Enter");
    await panel.locator('[data-testid="thread-reply"]', { hasText: "Noodles at noon?" }).waitFor();
    await panel.getByTestId("thread-input").fill("Or the **taco** truck");
    await panel.getByTestId("thread-send").click();
    await panel.locator('[data-testid="thread-reply"]', { hasText: "Or the taco truck" }).waitFor();
    expect(await panel.locator('[data-testid="thread-reply"] strong', { hasText: "taco" }).count()).toBe(1); // formatting applies in threads too
    expect(await panel.getByTestId("thread-follow").textContent()).toBe("Following"); // replying follows

    // Both sides: the root counts the replies; the main log does not show them.
    for (const page of [alice.page, bob.page]) {
      const summary = messageByText(page, "Lunch plans for Friday?").getByTestId("thread-summary");
      await until(page, async () => (await summary.count()) === 1 && (await summary.textContent())!.startsWith("2 replies"), "the root says 2 replies");
      expect(await messageTexts(page)).toEqual(["Lunch plans for Friday?", "Also: the printer is fixed"]);
    }

    // Alice wrote the root, so she follows: two unread replies until she opens the thread.
    await threadBadge(alice.page, chat).waitFor();
    expect((await threadBadge(alice.page, chat).textContent())?.trim()).toBe("2");
    await messageByText(alice.page, "Lunch plans for Friday?").getByTestId("thread-summary").click();
    const hers = alice.page.getByTestId("thread-panel");
    await until(alice.page, async () => (await hers.getByTestId("thread-reply").count()) === 2, "alice's panel lists both replies");
    await threadBadge(alice.page, chat).waitFor({ state: "detached" });
    await hers.getByTestId("thread-input").fill("Tacos it is!");
    await hers.getByTestId("thread-input").press("Enter");
    await panel.locator('[data-testid="thread-reply"]', { hasText: "Tacos it is" }).waitFor(); // live in bob's open panel
    await shot(alice.page, "thread");

    // Unfollow: the button says so, and the server agrees after a reload of the panel.
    await hers.getByTestId("thread-follow").click();
    await until(alice.page, async () => (await hers.getByTestId("thread-follow").textContent()) === "Follow", "alice unfollowed");
    await hers.getByTestId("thread-close").click();
    await hers.waitFor({ state: "detached" });
    await messageByText(alice.page, "Lunch plans for Friday?").getByTestId("thread-summary").click();
    await until(alice.page, async () => (await alice.page.getByTestId("thread-follow").textContent()) === "Follow", "still unfollowed after reopening");
    await alice.page.getByTestId("thread-close").click();
    await bob.page.getByTestId("thread-close").click();
  });
});

describe("search", () => {
  test("filters, marked matches (markup stays text), Load more past 30, a hit in a thread opens the thread", async () => {
    await openConversation(alice.page, chat);
    await send(alice.page, "<img src=x onerror=alert(1)> papaya salad");
    await sendOverRest(alice, chat, Array.from({ length: 31 }, (_, i) => `papaya ${i}`));
    await until(alice.page, async () => (await messageTexts(alice.page)).includes("papaya 30"), "alice sent them all");
    await send(bob.page, "papaya from bob");
    await until(alice.page, async () => (await messageTexts(alice.page)).includes("papaya from bob"), "bob's arrived");

    await alice.page.getByTestId("open-search").click();
    const dialog = alice.page.getByTestId("search-dialog");
    await dialog.getByTestId("search-input").fill(`papaya from:${alice.username}`);
    await dialog.getByTestId("search-submit").click();
    const hits = dialog.getByTestId("search-hit");
    await until(alice.page, async () => (await hits.count()) === 30, "the first page: 30 hits");
    await shot(alice.page, "search-filters");
    expect(await dialog.getByTestId("search-match").first().textContent()).toBe("papaya");
    expect(await dialog.locator('[data-testid="hit-text"]', { hasText: "papaya from bob" }).count()).toBe(0); // from: alice only
    await dialog.getByTestId("search-more").click();
    await until(alice.page, async () => (await hits.count()) === 32, "the second page adds the last 2");
    await dialog.getByTestId("search-more").waitFor({ state: "detached" });
    const markup = dialog.locator('[data-testid="hit-text"]', { hasText: "papaya salad" });
    expect(await markup.textContent()).toBe("<img src=x onerror=alert(1)> papaya salad");
    expect(await dialog.locator("[data-testid=search-hits] img").count()).toBe(0);

    // A bad filter says what is wrong; a hit inside a thread opens that thread.
    await dialog.getByTestId("search-input").fill("tacos before:friday");
    await dialog.getByTestId("search-submit").click();
    await until(alice.page, async () => ((await dialog.textContent()) ?? "").includes("YYYY-MM-DD"), "the date error is shown");
    await dialog.getByTestId("search-input").fill("tacos in:" + bob.username);
    await dialog.getByTestId("search-submit").click();
    await until(alice.page, async () => (await hits.count()) === 1, "one hit, in the thread");
    expect(await hits.first().textContent()).toContain("in a thread");
    await hits.first().click();
    const panel = alice.page.getByTestId("thread-panel");
    await panel.waitFor();
    expect(await panel.getByTestId("thread-root").textContent()).toContain("Lunch plans for Friday?");
  });
});
