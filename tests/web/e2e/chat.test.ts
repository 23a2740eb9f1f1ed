/**
 * Two people in two browser contexts: register, start a chat, exchange messages, see typing,
 * read receipts and unread counts; edit, delete, reply, react; search and jump to a message.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser } from "playwright-core";
import { closeWorld, openWorld, confirmInApp, launchChromium, messageByText, messageTexts, NexusServer, openConversation, type Person, registerPerson, send, shot, startDirect, until } from "./harness.ts";

setDefaultTimeout(60_000);

let server: NexusServer;
let browser: Browser;
let alice: Person;
let bob: Person;
let conversationId: string;

beforeAll(async () => {
  ({ server, browser, people: [alice, bob] } = await openWorld("alice", "bob"));
}, 120_000);

afterAll(() => closeWorld(server, browser), 30_000);

describe("two people chatting", () => {
  test("alice starts a chat by username and both see messages in order", async () => {
    conversationId = await startDirect(alice.page, bob.username);
    await until(alice.page, async () => (await alice.page.getByTestId("conversation-title").textContent()) === bob.username, "title is bob's name");
    await send(alice.page, "Hi Bob!");
    await send(alice.page, "Are you there?");
    // Bob sees the conversation appear with an unread badge and a preview, without reloading.
    const item = bob.page.locator(`[data-testid="conversation-item"][data-conversation-id="${conversationId}"]`);
    await item.waitFor();
    await until(bob.page, async () => (await item.getByTestId("unread-badge").textContent()) === "2", "bob's unread badge shows 2");
    expect(await item.getByTestId("conversation-preview").textContent()).toContain("Are you there?");
    await shot(bob.page, "conversation-list-unread");

    await openConversation(bob.page, conversationId);
    await until(bob.page, async () => (await messageTexts(bob.page)).length === 2, "bob sees 2 messages");
    expect(await messageTexts(bob.page)).toEqual(["Hi Bob!", "Are you there?"]);
    // Opening it reads it: the badge goes away.
    await item.getByTestId("unread-badge").waitFor({ state: "detached" });
  });

  test("typing indicator shows while the other person types", async () => {
    await bob.page.getByTestId("composer-input").pressSequentially("Yes, here", { delay: 20 });
    await until(alice.page, async () => ((await alice.page.getByTestId("typing-indicator").textContent()) ?? "").includes("typing"), "alice sees bob typing");
    expect(await alice.page.getByTestId("typing-indicator").textContent()).toBe(`${bob.username} is typing…`);
    await bob.page.getByTestId("composer-input").press("Enter");
    await until(alice.page, async () => (await messageTexts(alice.page)).includes("Yes, here"), "alice receives bob's reply");
    // The message itself clears the indicator.
    await until(alice.page, async () => (await alice.page.getByTestId("typing-indicator").textContent()) === "", "typing cleared");
  });

  test("read receipts: alice sees 'Seen by bob' under her last message", async () => {
    const box = alice.page.getByTestId("composer-input");
    await box.fill("first line");
    await box.press("Shift+Enter");
    await box.pressSequentially("second line");
    await box.press("Enter");
    await until(bob.page, async () => (await messageTexts(bob.page)).includes("first line\nsecond line"), "bob gets the two-line message");
    const seen = alice.page.getByTestId("seen-by");
    await until(alice.page, async () => ((await seen.textContent()) ?? "").includes(bob.username), "seen by bob");
    expect(await seen.count()).toBe(1);
    await shot(alice.page, "conversation-desktop");
    await alice.page.emulateMedia({ colorScheme: "dark" });
    await shot(alice.page, "conversation-desktop-dark");
    await alice.page.emulateMedia({ colorScheme: "light" });
  });

  test("reading further up: a message arriving below is announced, and read only once scrolled into view", async () => {
    for (let i = 0; i < 25; i++) await send(alice.page, `filler ${i}`);
    await until(bob.page, async () => (await messageTexts(bob.page)).includes("filler 24"), "bob has the filler");
    const list = bob.page.getByTestId("message-list");
    await list.evaluate((el) => el.scrollTo({ top: 0 }));
    await until(bob.page, async () => await list.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight > 300), "bob is reading further up");
    await send(alice.page, "while you read above");
    await until(bob.page, async () => (await messageTexts(bob.page)).includes("while you read above"), "bob's window has it");
    const pill = bob.page.getByTestId("new-messages");
    await pill.waitFor();
    // Not in view, so not read: bob's list still counts it as unread.
    const item = bob.page.locator(`[data-testid="conversation-item"][data-conversation-id="${conversationId}"]`);
    await until(bob.page, async () => (await item.getByTestId("unread-badge").textContent()) === "1", "still unread for bob");
    await pill.click();
    await pill.waitFor({ state: "detached" });
    await item.getByTestId("unread-badge").waitFor({ state: "detached" });
    const seen = messageByText(alice.page, "while you read above").getByTestId("seen-by");
    await until(alice.page, async () => ((await seen.textContent()) ?? "").includes(bob.username), "seen by bob once scrolled down");
  });

  test("too long: the composer counts down, refuses to send and keeps the text; emptying the box stops 'typing'", async () => {
    // Frames the page sends, from sockets opened from now on (hence the reload).
    const sent: string[] = [];
    alice.page.on("websocket", (ws) => ws.on("framesent", (f) => typeof f.payload === "string" && sent.push(f.payload)));
    await alice.page.reload();
    await openConversation(alice.page, conversationId);
    await alice.page.locator('[data-testid="conversation-view"][data-socket="open"]').waitFor();
    expect(sent.length).toBeGreaterThan(0); // the capture works (the inbox socket's first frames at least)
    const box = alice.page.getByTestId("composer-input");
    const count = alice.page.getByTestId("char-count");
    await box.fill("x".repeat(3900));
    expect(await count.textContent()).toBe("100");
    await box.fill("x".repeat(4001));
    expect(await count.textContent()).toBe("-1");
    expect(await alice.page.getByTestId("send").isDisabled()).toBe(true);
    const before = (await messageTexts(alice.page)).length;
    await box.press("Enter");
    expect(await box.inputValue()).toHaveLength(4001);
    await box.fill("");
    await count.waitFor({ state: "detached" });
    expect((await messageTexts(alice.page)).length).toBe(before);
    expect(sent.some((f) => f.includes('"t":"send"') && f.length > 4000)).toBe(false);
    // Typing started with the first keystroke, and emptying the box said it stopped.
    await box.pressSequentially("abc");
    await box.fill("");
    await until(alice.page, async () => sent.some((f) => JSON.parse(f).t === "typing" && JSON.parse(f).on === false), "typing off sent");
  });

  test("a draft survives switching conversations and an edit in between", async () => {
    const other = await startDirect(alice.page, (await registerPerson(browser, server, "dora")).username);
    await openConversation(alice.page, conversationId);
    const box = alice.page.getByTestId("composer-input");
    await box.fill("half-written thought");
    await openConversation(alice.page, other);
    await until(alice.page, async () => (await box.inputValue()) === "", "the box is empty");
    await openConversation(alice.page, conversationId);
    await until(alice.page, async () => (await box.inputValue()) === "half-written thought", "the draft is back");
    // Editing a message puts the draft aside; saving the edit brings it back.
    const mine = messageByText(alice.page, "while you read above");
    await mine.hover();
    await mine.getByTestId("action-edit").click();
    await until(alice.page, async () => (await box.inputValue()) === "while you read above", "the box holds the message being edited");
    await box.fill("while you read above (edited)");
    await box.press("Enter");
    await until(alice.page, async () => (await messageTexts(alice.page)).includes("while you read above (edited)"), "edit applied");
    await until(alice.page, async () => (await box.inputValue()) === "half-written thought", "the draft is back");
    await box.fill("");
  });

  test("edit, reply, react and delete", async () => {
    const last = messageByText(alice.page, "Are you there?");
    await last.hover();
    await last.getByTestId("action-edit").click();
    const box = alice.page.getByTestId("composer-input");
    await box.fill("Are you there, Bob?");
    await box.press("Enter");
    const bobMsg = messageByText(bob.page, "Are you there, Bob?");
    await bobMsg.getByTestId("edited").waitFor();

    // Bob replies to it and reacts with 👍.
    await bobMsg.hover();
    await bobMsg.getByTestId("action-reply").click();
    await send(bob.page, "Replying to that");
    const reply = messageByText(alice.page, "Replying to that");
    await reply.getByTestId("reply-quote").waitFor();
    expect(await reply.getByTestId("reply-quote").textContent()).toContain("Are you there, Bob?");

    await bobMsg.hover();
    await bobMsg.getByTestId("action-react").click();
    await bob.page.locator('[data-testid="reaction-picker"] [data-emoji="👍"]').click();
    const reaction = messageByText(alice.page, "Are you there, Bob?").locator('[data-testid="reaction"][data-emoji="👍"]');
    await reaction.waitFor();
    expect(await reaction.textContent()).toContain("1");
    // Alice double-clicks the 👍 chip: two toggles (add, then undo) whatever the timing of the
    // first one's event, so the count ends where it was.
    await reaction.dblclick();
    await until(alice.page, async () => (await reaction.getAttribute("aria-label")) === "👍 1", "back to bob's reaction alone", 10_000);
    await alice.page.waitForTimeout(300); // let any late reaction event land (pacing, not an assertion)
    expect(await reaction.getAttribute("aria-label")).toBe("👍 1");
    expect(await reaction.getAttribute("class")).not.toContain("own");

    // Alice deletes her first message: both see the tombstone.
    const first = messageByText(alice.page, "Hi Bob!");
    await first.hover();
    await first.getByTestId("action-delete").click();
    await confirmInApp(alice.page);
    await until(bob.page, async () => !(await messageTexts(bob.page)).includes("Hi Bob!"), "bob no longer sees the deleted text");
    expect(await messageTexts(bob.page)).toContain("Message deleted");
  });

  test("search finds a message and jumps to it", async () => {
    await alice.page.getByTestId("open-search").click();
    await alice.page.getByTestId("search-input").fill("Replying");
    await alice.page.getByTestId("search-submit").click();
    const hit = alice.page.getByTestId("search-hit").first();
    await hit.waitFor();
    const seq = await hit.getAttribute("data-seq");
    await shot(alice.page, "search");
    await hit.click();
    const target = alice.page.locator(`[data-testid="message"][data-seq="${seq}"]`);
    await target.waitFor();
    expect(await target.textContent()).toContain("Replying to that");
  });

  test("the conversation list orders by activity and shows presence", async () => {
    // A second chat for bob with someone new moves to the top when it gets a message.
    const carol = await registerPerson(browser, server, "carol");
    const carolChat = await startDirect(carol.page, bob.username);
    await send(carol.page, "hello from carol");
    const first = bob.page.locator('[data-testid="conversation-item"]').first();
    await until(bob.page, async () => (await first.getAttribute("data-conversation-id")) === carolChat, "carol's chat on top");
    // Bob answers (presence is shown only by people who took part: docs/protocol.md, presence).
    await openConversation(bob.page, carolChat);
    await send(bob.page, "hi carol");
    // Bob is online in carol's list: a green presence dot.
    const dot = carol.page.locator(`[data-testid="conversation-item"][data-conversation-id="${carolChat}"] [data-testid="presence-dot"]`);
    await until(carol.page, async () => (await dot.getAttribute("data-status")) === "online", "bob shows online to carol");
    // Carol leaves: bob sees her go offline with a "last seen".
    await carol.context.close();
    const carolItem = bob.page.locator(`[data-testid="conversation-item"][data-conversation-id="${carolChat}"]`);
    await until(bob.page, async () => (await carolItem.getByTestId("presence-dot").getAttribute("data-status")) === "offline", "carol offline");
    expect(await carolItem.getByTestId("last-seen").textContent()).toMatch(/^last seen/);
  });

  test("phone-sized screen and dark theme", async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 780 }, baseURL: server.url, storageState: await bob.context.storageState() });
    const page = await phone.newPage();
    await page.goto("/");
    await page.getByTestId("conversation-list").waitFor();
    await shot(page, "phone-list");
    await page.getByTestId("theme-toggle").click(); // Auto → Light
    await page.getByTestId("theme-toggle").click(); // Light → Dark
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).not.toBe("rgb(246, 247, 249)");
    await openConversation(page, conversationId);
    // One pane at a time: the list is hidden while a conversation is open.
    expect(await page.getByTestId("conversation-list").isVisible()).toBe(false);
    await until(page, async () => (await messageTexts(page)).length > 3, "history loaded on the phone");
    await shot(page, "phone-conversation-dark");
    await page.getByTestId("back").click();
    expect(await page.getByTestId("conversation-list").isVisible()).toBe(true);
    await phone.close();
  });
});
