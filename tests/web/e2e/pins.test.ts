/**
 * Pinned messages as people use them: in a direct chat either person pins from the message's
 * actions, both see it marked and counted in the pins strip, the list jumps to it, unpinning
 * clears it; in a group only admins get the pin action.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser } from "playwright-core";
import { closeWorld, openWorld, launchChromium, messageByText, messageTexts, NexusServer, openConversation, type Person, registerPerson, send, shot, startDirect, until } from "./harness.ts";

setDefaultTimeout(60_000);

let server: NexusServer;
let browser: Browser;
let alice: Person;
let bob: Person;

beforeAll(async () => {
  ({ server, browser, people: [alice, bob] } = await openWorld("alice", "bob"));
}, 120_000);

afterAll(() => closeWorld(server, browser), 30_000);

describe("pinned messages", () => {
  test("pin from the actions, marked and listed on both sides, jump from the list, unpin", async () => {
    const id = await startDirect(alice.page, bob.username);
    await send(alice.page, "The address is 12 Main St");
    for (let i = 0; i < 3; i++) await send(alice.page, `chatter ${i}`);
    await openConversation(bob.page, id);
    await until(bob.page, async () => (await messageTexts(bob.page)).includes("chatter 2"), "bob has the messages");

    const target = messageByText(bob.page, "The address is 12 Main St");
    await target.hover();
    await target.getByTestId("action-pin").click();
    await target.getByTestId("pinned-mark").waitFor();
    await alice.page.getByTestId("pins-toggle").waitFor();
    expect(await alice.page.getByTestId("pins-toggle").textContent()).toContain("1 pinned");
    await messageByText(alice.page, "The address is 12 Main St").getByTestId("pinned-mark").waitFor();

    await alice.page.getByTestId("pins-toggle").click();
    const items = alice.page.getByTestId("pin-item");
    expect(await items.count()).toBe(1);
    expect(await items.first().textContent()).toContain("The address is 12 Main St");
    await shot(alice.page, "pins-panel");
    await items.first().click();
    await until(alice.page, async () => (await messageByText(alice.page, "The address is 12 Main St").getAttribute("class"))?.includes("flash") ?? false, "jumped to the pinned message");

    const mine = messageByText(alice.page, "The address is 12 Main St");
    await mine.hover();
    expect(await mine.getByTestId("action-pin").getAttribute("aria-label")).toBe("Unpin");
    await mine.getByTestId("action-pin").click();
    await bob.page.getByTestId("pins").waitFor({ state: "detached" });
    await target.getByTestId("pinned-mark").waitFor({ state: "detached" });
  });

  test("in a group only admins get the pin action", async () => {
    await alice.page.getByTestId("new-group").click();
    await alice.page.getByTestId("group-title").fill("Pins group");
    await alice.page.getByTestId("group-members").fill(bob.username);
    await alice.page.getByTestId("group-create").click();
    // The direct chat's view stays until the new group's opens: read the id only then.
    await until(alice.page, async () => (await alice.page.getByTestId("conversation-title").textContent()) === "Pins group", "the group is open");
    const id = (await alice.page.getByTestId("conversation-view").getAttribute("data-conversation-id"))!;
    await send(alice.page, "group rules");
    await openConversation(bob.page, id);
    await until(bob.page, async () => (await messageTexts(bob.page)).includes("group rules"), "bob sees it");
    const forBob = messageByText(bob.page, "group rules");
    await forBob.hover();
    await forBob.getByTestId("action-reply").waitFor();
    expect(await forBob.getByTestId("action-pin").count()).toBe(0);
    const forAlice = messageByText(alice.page, "group rules");
    await forAlice.hover();
    expect(await forAlice.getByTestId("action-pin").count()).toBe(1);
  });
});
