/**
 * Issue #20, defect 1: a conversation whose newest message carries an image opens at that newest
 * message (desktop and phone), and the image loading afterwards does not move the view.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { closeWorld, openWorld, launchChromium, messageTexts, NexusServer, openConversation, type Person, registerPerson, send, startDirect, until } from "./harness.ts";

setDefaultTimeout(90_000);

let server: NexusServer;
let browser: Browser;
let alice: Person;
let bob: Person;
let conversationId: string;

/** A tall PNG (so an unreserved image would push the newest text well below the fold). */
async function tallPng(page: Page): Promise<Buffer> {
  const dataUrl = await page.evaluate(() => {
    const c = document.createElement("canvas");
    c.width = 300;
    c.height = 900;
    const g = c.getContext("2d")!;
    g.fillStyle = "#2f6fed";
    g.fillRect(0, 0, 300, 900);
    return c.toDataURL("image/png");
  });
  return Buffer.from(dataUrl.split(",")[1]!, "base64");
}

const distanceFromBottom = (page: Page) => page.getByTestId("message-list").evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);

beforeAll(async () => {
  ({ server, browser, people: [alice, bob] } = await openWorld("alice", "bob"));
  conversationId = await startDirect(alice.page, bob.username);
  for (let i = 0; i < 30; i++) await send(alice.page, `line ${i}`);
  // Three images in a row at the end, then nothing: the newest message is an image.
  for (let i = 0; i < 3; i++) {
    await alice.page.getByTestId("file-input").setInputFiles([{ name: `tall${i}.png`, mimeType: "image/png", buffer: await tallPng(alice.page) }]);
    await alice.page.locator('[data-testid="upload"][data-done="true"]').waitFor();
    await alice.page.getByTestId("send").click();
    await alice.page.getByTestId("upload").waitFor({ state: "detached" });
  }
  await until(alice.page, async () => (await alice.page.locator('[data-testid="message"][data-status="delivered"] [data-testid="attachment"]').count()) === 3, "3 images delivered");
}, 180_000);

afterAll(() => closeWorld(server, browser), 30_000);

async function opensAtNewest(p: Person) {
  // A fresh load at the list (on the phone the list and the conversation are separate screens).
  await p.page.goto("/#/");
  await p.page.reload();
  await p.page.locator(`[data-testid="conversation-item"][data-conversation-id="${conversationId}"]`).waitFor();
  await openConversation(p.page, conversationId);
  const images = p.page.getByTestId("attachment-image");
  await until(p.page, async () => (await images.count()) === 3, "three images rendered");
  await until(
    p.page,
    async () => (await images.evaluateAll((els) => els.every((e) => (e as HTMLImageElement).complete && (e as HTMLImageElement).naturalWidth > 0))) === true,
    "images decoded",
  );
  await p.page.waitForTimeout(300);
  expect(await distanceFromBottom(p.page)).toBeLessThan(4);
  // The newest image is on screen; the start of the conversation is not.
  expect(await images.last().isVisible()).toBe(true);
  const box = (await p.page.getByTestId("message-list").boundingBox())!;
  const last = (await images.last().boundingBox())!;
  expect(last.y + last.height).toBeLessThanOrEqual(box.y + box.height + 1);
  expect(await messageTexts(p.page)).toContain("line 29");
}

describe("opening a conversation whose newest message is an image", () => {
  test("desktop: opens at the newest message, after the images have loaded", async () => {
    await opensAtNewest(bob);
  });

  test("phone (390x844): same", async () => {
    await bob.page.setViewportSize({ width: 390, height: 844 });
    await opensAtNewest(bob);
  });
});
