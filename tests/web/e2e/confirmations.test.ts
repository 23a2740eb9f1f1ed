/**
 * Issue #20, defect 8: destructive actions ask in the app's own dialog, never the browser's
 * `confirm()`: deleting a message, removing a group member, leaving a group, and the admin's Lock.
 * Cancel (button, Escape) changes nothing; confirming does it.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { closeWorld, openWorld, confirmInApp, createGroup, launchChromium, messageByText, messageTexts, NexusServer, openConversation, type Person, registerPerson, send, shot, startDirect, until } from "./harness.ts";

setDefaultTimeout(90_000);

let server: NexusServer;
let browser: Browser;
let admin: Person; // first account on a fresh server is the admin
let bob: Person;
const nativeDialogs: string[] = [];

beforeAll(async () => {
  ({ server, browser, people: [admin, bob] } = await openWorld("admin", "bob"));
  for (const p of [admin, bob]) p.page.on("dialog", (d) => nativeDialogs.push(`${d.type()}: ${d.message()}`));
}, 120_000);

afterAll(() => closeWorld(server, browser), 30_000);

const dialog = (page: Page) => page.getByTestId("confirm-dialog");

describe("confirmations in the app's own dialog", () => {
  test("deleting a message: cancel keeps it, Escape keeps it, Delete deletes it", async () => {
    await startDirect(admin.page, bob.username);
    await send(admin.page, "delete me maybe");
    const msg = messageByText(admin.page, "delete me maybe");
    await msg.waitFor();
    await msg.hover();
    await msg.getByTestId("action-delete").click();
    expect(await dialog(admin.page).textContent()).toContain("Delete this message?");
    await confirmInApp(admin.page, "cancel");
    await msg.hover();
    await msg.getByTestId("action-delete").click();
    await dialog(admin.page).waitFor();
    await admin.page.keyboard.press("Escape");
    await dialog(admin.page).waitFor({ state: "detached" });
    await admin.page.waitForTimeout(300);
    expect(await messageTexts(admin.page)).toContain("delete me maybe");
    await msg.hover();
    await msg.getByTestId("action-delete").click();
    await confirmInApp(admin.page);
    await until(admin.page, async () => (await messageTexts(admin.page)).includes("Message deleted"), "deleted");
    expect(nativeDialogs).toEqual([]);
  });

  test("removing a group member asks first; Escape closes only the question", async () => {
    const groupId = await createGroup(admin.page, "Careful", bob.username);
    await admin.page.getByTestId("group-settings").click();
    const row = admin.page.locator(`[data-testid="member"][data-username="${bob.username}"]`);
    await row.getByTestId("member-remove").click();
    expect(await dialog(admin.page).textContent()).toContain(`Remove ${bob.username}?`);
    await shot(admin.page, "confirm-remove-member");
    await admin.page.keyboard.press("Escape");
    await dialog(admin.page).waitFor({ state: "detached" });
    // The settings dialog underneath is still open, bob still a member.
    expect(await admin.page.getByTestId("group-settings-dialog").isVisible()).toBe(true);
    await admin.page.waitForTimeout(300);
    expect(await row.count()).toBe(1);
    await row.getByTestId("member-remove").click();
    await confirmInApp(admin.page);
    await row.waitFor({ state: "detached" });
    await bob.page.locator(`[data-testid="conversation-item"][data-conversation-id="${groupId}"]`).waitFor({ state: "detached" });
    expect(nativeDialogs).toEqual([]);
  });

  test("the admin's Lock asks first", async () => {
    await admin.page.evaluate(() => (location.hash = "#/admin"));
    const row = admin.page.locator(`[data-testid="admin-user"][data-username="${bob.username}"]`);
    await row.waitFor();
    await row.getByTestId("admin-lock").click();
    expect(await dialog(admin.page).textContent()).toContain(`Lock ${bob.username}?`);
    await confirmInApp(admin.page, "cancel");
    await admin.page.waitForTimeout(300);
    expect(await row.getByTestId("admin-user-status").textContent()).toBe("Active");
    await row.getByTestId("admin-lock").click();
    await confirmInApp(admin.page);
    await until(admin.page, async () => ((await row.getByTestId("admin-user-status").textContent()) ?? "").startsWith("Locked"), "bob locked");
    expect(nativeDialogs).toEqual([]);
  });
});
