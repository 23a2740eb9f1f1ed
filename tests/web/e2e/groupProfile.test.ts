/**
 * Issue #20, "group picture and description", in Chromium: a group admin uploads a picture and
 * writes a description in group settings; the other member sees both live (no reload): the picture
 * in their conversation list and the header instead of the initials, a system line for each change,
 * the description in the settings panel, where a member who is not an admin has no edit controls.
 * Removing the picture brings the initials back on their screen. On a phone (390×844) the settings
 * panel stays inside the screen.
 */
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Page } from "playwright-core";
import { createGroup, openConversation, sharedWorld, shot, until, type Person } from "./harness.ts";
import { gradientPng } from "./pictures.ts";

setDefaultTimeout(120_000);

const world = sharedWorld("alice", "bob");
let alice: Person; let bob: Person;
beforeAll(() => void ([alice, bob] = world.people));
let groupId: string;

const DESCRIPTION = "Saturday climbs at the north wall.\nBring your own shoes.";

const listItem = (page: Page) => page.locator(`[data-testid="conversation-item"][data-conversation-id="${groupId}"]`);
const systemLine = (page: Page, text: string) => page.locator('[data-testid="system-line"]', { hasText: text });

describe("group picture and description", () => {
  test("an admin sets both; the other member sees them live in the list, header and settings, without edit controls", async () => {
    groupId = await createGroup(alice.page, "Climbing club", bob.username);
    await listItem(bob.page).waitFor();
    await openConversation(bob.page, groupId);
    // Initials before: no picture anywhere.
    expect(await listItem(bob.page).getByTestId("avatar-image").count()).toBe(0);

    await alice.page.getByTestId("group-settings").click();
    const settings = alice.page.getByTestId("group-settings-dialog");
    await settings.waitFor();
    await alice.page.getByTestId("group-picture-input").setInputFiles({ name: "club.png", mimeType: "image/png", buffer: await gradientPng() });
    await settings.getByTestId("group-profile").getByTestId("avatar-image").waitFor();
    await alice.page.getByTestId("group-description-input").fill(DESCRIPTION);
    await alice.page.getByTestId("group-description-save").click();
    await until(alice.page, async () => await alice.page.getByTestId("group-description-save").isDisabled(), "description saved");

    // Bob, live: the picture in his list (a 64 px square the server made) and in the header.
    const bobAvatar = listItem(bob.page).getByTestId("avatar-image");
    await bobAvatar.waitFor();
    await until(bob.page, async () => (await bobAvatar.evaluate((img: HTMLImageElement) => img.naturalWidth)) === 64, "64 px picture in bob's list");
    expect(await bobAvatar.evaluate((img: HTMLImageElement) => img.naturalHeight)).toBe(64);
    await bob.page.locator(".conv-header [data-testid=avatar-image]").waitFor();
    await systemLine(bob.page, "changed the group picture").waitFor();
    await systemLine(bob.page, "changed the group description").waitFor();

    // Bob's settings: the description, the picture, and no edit controls (he is not an admin).
    await bob.page.getByTestId("group-settings").click();
    const bobSettings = bob.page.getByTestId("group-settings-dialog");
    await bobSettings.waitFor();
    expect(await bobSettings.getByTestId("group-description").textContent()).toBe(DESCRIPTION);
    await bobSettings.getByTestId("group-profile").getByTestId("avatar-image").waitFor();
    for (const control of ["group-picture-input", "group-picture-remove", "group-description-input", "group-description-save", "rename-input", "add-member"])
      expect(await bobSettings.getByTestId(control).count(), control).toBe(0);
    await bob.page.keyboard.press("Escape");
    await bobSettings.waitFor({ state: "detached" });

    await shot(alice.page, "group-settings");

    // Removed: bob's list and header go back to initials, live.
    await alice.page.getByTestId("group-picture-remove").click();
    await systemLine(bob.page, "removed the group picture").waitFor();
    await until(bob.page, async () => (await listItem(bob.page).getByTestId("avatar-image").count()) === 0, "initials again in bob's list");
    await until(bob.page, async () => (await bob.page.locator(".conv-header [data-testid=avatar-image]").count()) === 0, "initials again in bob's header");
    // The description stays; after a reload both pages still agree (it is in the log, not only on screen).
    await bob.page.reload();
    await bob.page.getByTestId("shell").waitFor();
    await bob.page.locator(`[data-testid="conversation-view"][data-conversation-id="${groupId}"]`).waitFor();
    await bob.page.getByTestId("group-settings").click();
    expect(await bob.page.getByTestId("group-description").textContent()).toBe(DESCRIPTION);
    await bob.page.keyboard.press("Escape");
    await alice.page.keyboard.press("Escape");
  });

  test("phone (390×844): the group settings panel stays inside the screen", async () => {
    // The picture again, so the phone shows the fullest panel.
    await alice.page.getByTestId("group-settings").click();
    await alice.page.getByTestId("group-picture-input").setInputFiles({ name: "club.png", mimeType: "image/png", buffer: await gradientPng() });
    await alice.page.getByTestId("group-settings-dialog").getByTestId("avatar-image").waitFor();
    await alice.page.keyboard.press("Escape");

    for (const who of [alice, bob]) {
      const context = await world.browser.newContext({ viewport: { width: 390, height: 844 }, baseURL: world.server.url, storageState: await who.context.storageState() });
      const page = await context.newPage();
      try {
        await page.goto(`/#/c/${groupId}`);
        await page.getByTestId("shell").waitFor();
        await page.locator(`[data-testid="conversation-view"][data-conversation-id="${groupId}"]`).waitFor();
        await page.getByTestId("group-settings").click();
        const dialog = page.getByTestId("group-settings-dialog");
        await dialog.waitFor();
        await dialog.getByTestId("group-profile").getByTestId("avatar-image").waitFor();
        const fits = await page.evaluate(() => {
          const inside = (el: Element | null) => {
            if (!el) return false;
            const r = el.getBoundingClientRect();
            return r.left >= 0 && r.top >= 0 && r.right <= window.innerWidth + 0.5 && r.bottom <= window.innerHeight + 0.5;
          };
          const d = document.querySelector('[data-testid="group-settings-dialog"]');
          const parts = [...document.querySelectorAll('[data-testid="group-profile"] > *')];
          return { dialog: inside(d), parts: parts.every((p) => { const r = p.getBoundingClientRect(); const b = d!.getBoundingClientRect(); return r.left >= b.left && r.right <= b.right + 0.5; }),
            noSideScroll: document.documentElement.scrollWidth <= window.innerWidth };
        });
        expect(fits).toEqual({ dialog: true, parts: true, noSideScroll: true });
      } finally {
        await context.close();
      }
    }
  });
});
