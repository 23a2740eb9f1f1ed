/**
 * Issue #20, defect 4: after members leave a group, nothing shows their raw user id ("Seen by
 * u_…"): receipts keep their usernames, also after a reload; the header counts "2 members", then
 * "1 member" (singular).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { closeWorld, openWorld, confirmInApp, launchChromium, messageTexts, NexusServer, openConversation, type Person, registerPerson, send, until } from "./harness.ts";

setDefaultTimeout(90_000);

let server: NexusServer;
let browser: Browser;
let alice: Person;
let bob: Person;
let carl: Person;

beforeAll(async () => {
  ({ server, browser, people: [alice, bob, carl] } = await openWorld("alice", "bob", "carl"));
}, 120_000);

afterAll(() => closeWorld(server, browser), 30_000);

async function leave(p: Person, groupId: string) {
  await openConversation(p.page, groupId);
  await p.page.getByTestId("group-settings").click();
  await p.page.getByTestId("leave-group").click();
  await confirmInApp(p.page);
  await p.page.locator(`[data-testid="conversation-item"][data-conversation-id="${groupId}"]`).waitFor({ state: "detached" });
}

const subtitle = (page: Page) => page.getByTestId("conversation-subtitle").textContent();

describe("former members", () => {
  test("receipts keep names after members leave; the header says 2 members, then 1 member", async () => {
    await alice.page.getByTestId("new-group").click();
    await alice.page.getByTestId("group-title").fill("Trio");
    await alice.page.getByTestId("group-members").fill(`${bob.username}, ${carl.username}`);
    await alice.page.getByTestId("group-create").click();
    // A conversation opened before may still be the view: wait for the new group's own.
    const view = alice.page.locator('[data-testid="conversation-view"][data-conversation-id^="g_"]');
    await view.waitFor();
    const groupId = (await view.getAttribute("data-conversation-id"))!;
    await send(alice.page, "hello all");
    for (const p of [bob, carl]) {
      await p.page.locator(`[data-testid="conversation-item"][data-conversation-id="${groupId}"]`).waitFor();
      await openConversation(p.page, groupId);
      await until(p.page, async () => (await messageTexts(p.page)).includes("hello all"), "message seen");
    }
    const seen = alice.page.getByTestId("seen-by");
    await until(alice.page, async () => ((await seen.textContent()) ?? "").includes(carl.username) && ((await seen.textContent()) ?? "").includes(bob.username), "seen by both");
    expect(await subtitle(alice.page)).toBe("3 members");

    await leave(carl, groupId);
    await until(alice.page, async () => (await subtitle(alice.page)) === "2 members", "2 members");
    expect(await seen.textContent()).toContain(carl.username);
    expect(await seen.textContent()).not.toContain("u_");
    // A fresh load: the server reports current members' cursors only; still no raw ids anywhere.
    await alice.page.reload();
    await alice.page.getByTestId("seen-by").waitFor();
    expect(await alice.page.getByTestId("seen-by").textContent()).toContain(bob.username);
    expect(await alice.page.getByTestId("message-list").textContent()).not.toContain("u_");

    await leave(bob, groupId);
    await until(alice.page, async () => (await subtitle(alice.page)) === "1 member", "1 member (singular)");
    expect(await alice.page.getByTestId("message-list").textContent()).not.toContain("u_");
  });
});
