/**
 * Issue #20 (deleting your account): after bob deletes his account, the people who chatted with him
 * see "Deleted user" everywhere his name was (the list, the header, group messages, "left" lines,
 * receipts, his profile card), never his old name or a raw id; their conversations and his messages
 * stay.
 */
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Page } from "playwright-core";
import { confirmInApp, createGroup, messageByText, messageTexts, openConversation, send, sharedWorld, startDirect, until, type Person } from "./harness.ts";

setDefaultTimeout(120_000);

const world = sharedWorld("alice", "bob", "dora");
let alice: Person; let bob: Person; let dora: Person;
beforeAll(() => void ([alice, bob, dora] = world.people));

const seenBy = (page: Page) => page.getByTestId("seen-by").last().textContent();

describe("a deleted account", () => {
  test("shows as Deleted user in the list, header, messages, system lines, receipts and its card", async () => {
    const groupId = await createGroup(alice.page, "Book club", `${bob.username}, ${dora.username}`);
    await openConversation(bob.page, groupId);
    await send(bob.page, "group hello from bob");
    await until(alice.page, async () => (await messageTexts(alice.page)).includes("group hello from bob"), "alice sees bob's group message");

    const direct = await startDirect(bob.page, alice.username);
    await send(bob.page, "just us");
    await openConversation(alice.page, direct);
    await send(alice.page, "read me, bob");
    // Bob has the chat open: he reads it, and alice's receipt names him.
    await until(alice.page, async () => ((await seenBy(alice.page)) ?? "").includes(bob.username), "seen by bob");

    await bob.page.getByTestId("open-account").click();
    const form = bob.page.getByTestId("delete-account");
    await form.getByTestId("delete-password").fill("password-123");
    await form.getByTestId("delete-account-submit").click();
    await confirmInApp(bob.page);
    await bob.page.getByTestId("auth-screen").waitFor();

    await alice.page.reload();
    await alice.page.getByTestId("shell").waitFor();
    const item = alice.page.locator(`[data-testid="conversation-item"][data-conversation-id="${direct}"]`);
    await until(alice.page, async () => (await item.getAttribute("data-title")) === "Deleted user", "Deleted user in the list");
    await alice.page.locator(`[data-testid="conversation-view"][data-conversation-id="${direct}"]`).waitFor();
    await until(alice.page, async () => (await alice.page.getByTestId("conversation-title").textContent()) === "Deleted user", "Deleted user in the header");
    await until(alice.page, async () => (await messageTexts(alice.page)).includes("just us"), "his messages stay");
    await until(alice.page, async () => ((await seenBy(alice.page)) ?? "").includes("Deleted user"), "Deleted user in receipts");

    await openConversation(alice.page, groupId);
    const bobsMessage = messageByText(alice.page, "group hello from bob");
    await until(alice.page, async () => (await bobsMessage.getByTestId("message-author").textContent()) === "Deleted user", "Deleted user as the author");
    await alice.page.locator('[data-testid="system-line"]', { hasText: "Deleted user left" }).waitFor();
    await bobsMessage.getByTestId("message-author").click();
    const card = alice.page.getByTestId("profile-card");
    await card.waitFor();
    expect(await card.getByTestId("profile-name").textContent()).toBe("Deleted user");
    await card.getByTestId("profile-deleted").waitFor();
    expect(await card.getByTestId("profile-message").count()).toBe(0);
    await alice.page.keyboard.press("Escape");

    // Nowhere on her screen: his old name or a raw id.
    for (const id of [direct, groupId]) {
      await openConversation(alice.page, id);
      const shown = await alice.page.locator("body").innerText();
      expect(shown).not.toContain(bob.username);
      expect(shown).not.toMatch(/\bu_[A-Za-z0-9_-]{6,}/);
    }
  });
});
