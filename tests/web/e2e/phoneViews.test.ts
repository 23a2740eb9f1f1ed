/**
 * Issue #20, "nothing on the phone layout regresses": the views added for people, threads, search
 * and calls, as a new user meets them on a 390×844 phone, with the longest names allowed (a 64
 * character display name without a space, an 80 character status, a 30 character username). For
 * each: the page does not scroll sideways, the dialog or panel lies inside the screen, and its
 * buttons are on screen and not covered (tests/web/e2e/phoneFit.ts).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser } from "playwright-core";
import { closeWorld, launchChromium, MEDIA_FLAGS, messageByText, NexusServer, registerPerson, send, shot, startDirect, type Person } from "./harness.ts";
import { PHONE, phoneProblems } from "./phoneFit.ts";
import { gradientPng } from "./pictures.ts";

setDefaultTimeout(120_000);

let server: NexusServer;
let browser: Browser;
let ann: Person;
let ben: Person;

const LONG_NAME = "Bartholomew-Maximilian-Fitzgerald-Featherstonehaugh-Worthington-X"; // 64, one word
const LONG_STATUS = "Travelling through the mountains until the end of the month, answers are slow!!"; // 80
const DESCRIPTION = "Weekend climbs at the north wall and the quarry. Bring shoes, chalk, water and a long-enough rope; anyone-who-forgets-buys-the-coffee.";

beforeAll(async () => {
  server = await NexusServer.start();
  browser = await launchChromium(MEDIA_FLAGS);
  ann = await registerPerson(browser, server, "ann", PHONE);
  ben = await registerPerson(browser, server, "ben.has-a-long.username_", PHONE);
  const page = ben.page;
  await page.getByTestId("me-name").click();
  await page.getByTestId("profile-edit").click();
  await page.getByTestId("profile-display-name").fill(LONG_NAME);
  await page.getByTestId("profile-status-input").fill(LONG_STATUS);
  await page.getByTestId("profile-save").click();
  await page.getByTestId("profile-dialog").waitFor({ state: "detached" });
}, 120_000);

afterAll(() => closeWorld(server, browser), 30_000);

const id = (testid: string) => `[data-testid="${testid}"]`;

describe("phone layout (390×844) of the week's views", () => {
  test("the sidebar of someone with a long display name keeps its buttons on screen", async () => {
    const buttons = ["me-name", "open-account", "open-dnd", "logout", "new-direct", "new-group", "open-search"].map(id);
    expect(await phoneProblems(ben.page, [".sidebar-header", ".me"], buttons)).toEqual([]);
    await shot(ben.page, "phone-sidebar-long-name");
  });

  test("your profile and do-not-disturb dialogs", async () => {
    const page = ben.page;
    await page.getByTestId("me-name").click();
    await page.getByTestId("profile-edit").click();
    await page.getByTestId("profile-dialog").waitFor();
    const profileButtons = ["profile-display-name", "profile-status-input", "profile-save"].map(id);
    expect(await phoneProblems(page, [id("profile-dialog")], profileButtons)).toEqual([]);
    await page.keyboard.press("Escape");
    await page.getByTestId("profile-dialog").waitFor({ state: "detached" });
    await page.getByTestId("open-dnd").click();
    await page.getByTestId("dnd-settings").waitFor();
    expect(await phoneProblems(page, [id("dnd-settings")], [id("dnd-save")])).toEqual([]);
    await page.keyboard.press("Escape");
    await page.getByTestId("dnd-settings").waitFor({ state: "detached" });
  });

  test("a direct chat's header and the profile card of someone with a long name", async () => {
    const page = ann.page;
    await startDirect(page, ben.username);
    await send(page, "hello there");
    await page.locator(".conv-header [data-testid=avatar-button]").click();
    await page.getByTestId("profile-card").waitFor();
    await page.getByTestId("profile-status").waitFor();
    expect(await phoneProblems(page, [id("profile-card"), id("profile-name"), id("profile-status")], [id("profile-message")])).toEqual([]);
    await shot(page, "phone-profile-card");
    await page.keyboard.press("Escape");
    expect(await phoneProblems(page, [".conv-header", id("conversation-view")], [id("back"), id("call-audio"), id("call-video"), id("notify-menu")])).toEqual([]);
  });

  test("the notifications menu", async () => {
    const page = ann.page;
    await page.getByTestId("notify-menu").click();
    await page.getByTestId("notify-settings").waitFor();
    expect(await phoneProblems(page, [id("notify-settings")], [id("notify-level-mentions"), id("mute-480")])).toEqual([]);
    await shot(page, "phone-notify-menu");
    await page.keyboard.press("Escape");
  });

  test("the member picker of a new group, then group settings with a picture and a long description", async () => {
    const page = ann.page;
    await page.getByTestId("back").click();
    await page.getByTestId("new-group").click();
    await page.getByTestId("group-title").fill("Climbing club of the north wall and the quarry");
    await page.getByTestId("group-members").fill("long.user");
    await page.locator(`[data-testid="member-suggestion"][data-username="${ben.username}"]`).waitFor();
    expect(await phoneProblems(page, [id("new-group-dialog"), id("member-suggestions")], [`[data-username="${ben.username}"]${id("member-suggestion")}`])).toEqual([]);
    await page.locator(`[data-testid="member-suggestion"][data-username="${ben.username}"]`).click();
    expect(await phoneProblems(page, [id("new-group-dialog"), id("member-chip")], [id("member-chip-remove"), id("group-create")])).toEqual([]);
    await shot(page, "phone-member-picker");
    await page.getByTestId("group-create").click();
    await page.locator('[data-testid="conversation-view"][data-conversation-id^="g_"]').waitFor();

    await page.getByTestId("group-settings").click();
    await page.getByTestId("group-settings-dialog").waitFor();
    await page.getByTestId("group-picture-input").setInputFiles({ name: "club.png", mimeType: "image/png", buffer: await gradientPng() });
    await page.getByTestId("group-profile").getByTestId("avatar-image").waitFor();
    await page.getByTestId("group-description-input").fill(DESCRIPTION);
    const panels = [id("group-settings-dialog"), id("group-profile"), id("member-list"), id("member")];
    const buttons = ["group-picture-remove", "group-description-save", "rename-save", "member-remove", "add-member", "leave-group"].map(id);
    expect(await phoneProblems(page, panels, buttons)).toEqual([]);
    await shot(page, "phone-group-settings");
    await page.getByTestId("group-description-save").click();
    await page.keyboard.press("Escape");
    await page.getByTestId("group-settings-dialog").waitFor({ state: "detached" });
  });

  test("the thread panel", async () => {
    const page = ann.page;
    await send(page, "Who brings the rope on Saturday?");
    const root = messageByText(page, "Who brings the rope on Saturday?");
    await root.hover();
    await root.getByTestId("action-thread").click();
    const panel = page.getByTestId("thread-panel");
    await panel.waitFor();
    await panel.getByTestId("thread-input").fill("I-can-bring-the-sixty-metre-one-and-two-spare-carabiners-if-needed");
    await panel.getByTestId("thread-send").click();
    await panel.getByTestId("thread-reply").waitFor();
    expect(await phoneProblems(page, [id("thread-panel"), id("thread-root"), id("thread-reply")], ["thread-close", "thread-follow", "thread-input", "thread-send"].map(id))).toEqual([]);
    await shot(page, "phone-thread");
    await panel.getByTestId("thread-close").click();
  });

  test("the search panel with hits", async () => {
    const page = ann.page;
    await page.getByTestId("back").click();
    await page.getByTestId("open-search").click();
    await page.getByTestId("search-input").fill("rope");
    await page.getByTestId("search-submit").click();
    await page.getByTestId("search-hit").first().waitFor();
    expect(await phoneProblems(page, [id("search-dialog"), id("search-hits"), id("search-hit")], [id("search-input"), id("search-submit"), id("search-hit")])).toEqual([]);
    await shot(page, "phone-search");
    await page.keyboard.press("Escape");
  });

  test("the call window: ringing, then connected, on both phones", async () => {
    await startDirect(ann.page, ben.username);
    // A toast (4 s) on ben's screen as the call comes in: both take the bottom of the screen.
    await ben.page.getByTestId("me-name").click();
    await ben.page.getByTestId("profile-edit").click();
    await ben.page.getByTestId("profile-save").click();
    await ann.page.getByTestId("call-video").click();
    const ring = ben.page.locator('[data-testid="call-overlay"][data-phase="incoming"]');
    await ring.waitFor();
    expect(await ben.page.getByTestId("toast").count()).toBeGreaterThan(0);
    expect(await phoneProblems(ben.page, [id("call-overlay")], [id("call-accept"), id("call-decline")])).toEqual([]);
    await shot(ben.page, "phone-call-ringing");
    await ben.page.getByTestId("call-accept").click();
    for (const p of [ann, ben]) {
      await p.page.locator('[data-testid="call-overlay"][data-phase="connected"]').waitFor({ timeout: 30_000 });
      const buttons = ["call-mute", "call-camera", "call-screen", "call-settings", "call-fullscreen", "call-hangup"].map(id);
      expect(await phoneProblems(p.page, [id("call-overlay")], buttons)).toEqual([]);
    }
    await shot(ben.page, "phone-call");
    // The devices panel, then the full window, on ben's phone.
    await ben.page.getByTestId("call-settings").click();
    await ben.page.getByTestId("call-devices").waitFor();
    expect(await phoneProblems(ben.page, [id("call-overlay"), id("call-devices")], [id("call-devices") + " select", id("call-hangup")])).toEqual([]);
    await ben.page.getByTestId("call-settings").click();
    await ben.page.getByTestId("call-fullscreen").click();
    await ben.page.locator(".call.full").waitFor();
    expect(await phoneProblems(ben.page, [id("call-overlay")], ["call-fullscreen", "call-mute", "call-camera", "call-hangup"].map(id))).toEqual([]);
    await shot(ben.page, "phone-call-full");
    await ann.page.getByTestId("call-hangup").click();
    for (const p of [ann, ben]) {
      await p.page.locator('[data-testid="call-overlay"][data-phase="ended"]').waitFor();
      await p.page.getByTestId("call-dismiss").click();
    }
  });
});
