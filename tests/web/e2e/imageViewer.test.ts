/**
 * Issue #20, defect 7 (in part): an image shows as a thumbnail before it is sent, and clicking a
 * received image opens it inside the app (not a bare browser tab); Escape closes it.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser } from "playwright-core";
import { closeWorld, openWorld, launchChromium, NexusServer, openConversation, type Person, registerPerson, startDirect } from "./harness.ts";

setDefaultTimeout(90_000);

let server: NexusServer;
let browser: Browser;
let alice: Person;
let bob: Person;

beforeAll(async () => {
  ({ server, browser, people: [alice, bob] } = await openWorld("alice", "bob"));
}, 120_000);

afterAll(() => closeWorld(server, browser), 30_000);

describe("images", () => {
  test("a thumbnail before sending; the received image opens in the app's viewer", async () => {
    const id = await startDirect(alice.page, bob.username);
    const png = Buffer.from(
      (await alice.page.evaluate(() => {
        const c = document.createElement("canvas");
        c.width = 64;
        c.height = 48;
        c.getContext("2d")!.fillRect(0, 0, 64, 48);
        return c.toDataURL("image/png");
      })).split(",")[1]!,
      "base64",
    );
    await alice.page.getByTestId("file-input").setInputFiles([{ name: "dot.png", mimeType: "image/png", buffer: png }]);
    const thumb = alice.page.getByTestId("upload-thumb");
    await thumb.waitFor();
    expect(await thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(64);
    await alice.page.locator('[data-testid="upload"][data-done="true"]').waitFor();
    await alice.page.getByTestId("send").click();

    await bob.page.locator(`[data-testid="conversation-item"][data-conversation-id="${id}"]`).waitFor();
    await openConversation(bob.page, id);
    const img = bob.page.getByTestId("attachment-image");
    await img.waitFor();
    const pagesBefore = bob.context.pages().length;
    await img.click();
    const viewer = bob.page.getByTestId("image-viewer");
    await viewer.waitFor();
    expect(await bob.page.getByTestId("viewer-image").evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).toBe(64);
    expect(bob.context.pages().length).toBe(pagesBefore); // no new tab
    await bob.page.keyboard.press("Escape");
    await viewer.waitFor({ state: "detached" });
    expect(await bob.page.getByTestId("conversation-view").isVisible()).toBe(true);
  });
});
