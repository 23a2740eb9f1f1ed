/**
 * Mentions as people use them: "@bo" in the composer suggests bob (and "@all" to a group admin
 * only), picking inserts the name, the sent message carries the mention; bob's conversation list
 * shows an "@" badge until he reads it, and the mention is highlighted in the message.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser } from "playwright-core";
import { closeWorld, openWorld, launchChromium, NexusServer, openConversation, type Person, registerPerson, shot, until } from "./harness.ts";

setDefaultTimeout(60_000);

let server: NexusServer;
let browser: Browser;
let alice: Person;
let bob: Person;
let carol: Person;

beforeAll(async () => {
  ({ server, browser, people: [alice, bob, carol] } = await openWorld("alice", "bob", "carol"));
}, 120_000);

afterAll(() => closeWorld(server, browser), 30_000);

const item = (p: Person, id: string) => p.page.locator(`[data-testid="conversation-item"][data-conversation-id="${id}"]`);

describe("mentions", () => {
  test("autocomplete, stored mention, '@' badge until read, highlight; @all only for admins", async () => {
    await alice.page.getByTestId("new-group").click();
    await alice.page.getByTestId("group-title").fill("Mentions");
    await alice.page.getByTestId("group-members").fill(`${bob.username}, ${carol.username}`);
    await alice.page.getByTestId("group-create").click();
    // A conversation opened before may still be the view: wait for the new group's own.
    const view = alice.page.locator('[data-testid="conversation-view"][data-conversation-id^="g_"]');
    await view.waitFor();
    const groupId = (await view.getAttribute("data-conversation-id"))!;

    const box = alice.page.getByTestId("composer-input");
    await box.pressSequentially("hi @", { delay: 10 });
    // An admin is offered everyone, and @all.
    const options = alice.page.getByTestId("mention-option");
    await until(alice.page, async () => (await options.count()) >= 3, "suggestions shown");
    expect(await options.allTextContents()).toContain(`@${bob.username}`);
    expect(await alice.page.locator('[data-testid="mention-option"][data-user-id="@all"]').count()).toBe(1);
    await box.pressSequentially(bob.username.slice(0, 4), { delay: 10 });
    await until(alice.page, async () => (await options.first().textContent()) === `@${bob.username}`, "bob suggested first");
    await shot(alice.page, "mention-autocomplete");
    await box.press("Enter"); // picks, does not send
    expect(await box.inputValue()).toBe(`hi @${bob.username} `);
    await box.pressSequentially("can you look?", { delay: 5 });
    await box.press("Enter");

    // Bob has not opened the group: his list shows the mention; carol's shows unread only.
    await until(bob.page, async () => (await item(bob, groupId).getByTestId("mention-badge").count()) === 1, "bob's @ badge");
    await until(carol.page, async () => (await item(carol, groupId).getByTestId("unread-badge").count()) === 1, "carol's unread badge");
    expect(await item(carol, groupId).getByTestId("mention-badge").count()).toBe(0);
    await shot(bob.page, "mention-badge");

    await openConversation(bob.page, groupId);
    const mention = bob.page.locator('[data-testid="message"] [data-testid="mention"]');
    await mention.waitFor();
    expect(await mention.textContent()).toBe(`@${bob.username}`);
    expect(await mention.getAttribute("class")).toContain("mention-me");
    await item(bob, groupId).getByTestId("mention-badge").waitFor({ state: "detached" });
    await shot(bob.page, "mention-highlight");

    // Bob is no admin: "@a" offers alice but never @all.
    const bobBox = bob.page.getByTestId("composer-input");
    await bobBox.pressSequentially("@a", { delay: 10 });
    await until(bob.page, async () => (await bob.page.getByTestId("mention-option").count()) >= 1, "bob sees suggestions");
    expect(await bob.page.locator('[data-testid="mention-option"][data-user-id="@all"]').count()).toBe(0);
    await bobBox.press("Escape");
    expect(await bob.page.getByTestId("mention-suggestions").count()).toBe(0);
  });
});
