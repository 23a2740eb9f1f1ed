/**
 * Issue #20, polish, in Chromium: every emoji for reactions (searchable, loaded only when asked
 * for), an image pasted from the clipboard becomes an upload with a thumbnail, Ctrl+K jumps to a
 * conversation by a fuzzy part of a name, ↑ in an empty box edits my last message, and an upload
 * that failed while the server was down goes again by itself once the app has reconnected.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser } from "playwright-core";
import { launchChromium, messageByText, NexusServer, openConversation, type Person, registerPerson, send, startDirect, until } from "./harness.ts";

setDefaultTimeout(90_000);

let server: NexusServer;
let browser: Browser;
let alice: Person;
let bob: Person;
let conversationId: string;

beforeAll(async () => {
  server = await NexusServer.start();
  browser = await launchChromium();
  alice = await registerPerson(browser, server, "alice");
  bob = await registerPerson(browser, server, "bob");
  conversationId = await startDirect(alice.page, bob.username);
  await bob.page.locator(`[data-testid="conversation-item"][data-conversation-id="${conversationId}"]`).waitFor();
  await openConversation(bob.page, conversationId);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
}, 30_000);

describe("polish", () => {
  test("the full emoji picker: search, pick, and its data loads only when opened", async () => {
    await send(alice.page, "react with a rocket");
    const msg = messageByText(bob.page, "react with a rocket");
    await msg.waitFor();
    const requested: string[] = [];
    bob.page.on("request", (r) => requested.push(r.url()));
    await msg.hover();
    await msg.getByTestId("action-react").click();
    await bob.page.getByTestId("reaction-more").click();
    const search = bob.page.getByTestId("emoji-search");
    await search.waitFor();
    // Its code and the emoji data were not part of the page before: they came now, as chunks.
    expect(requested.some((u) => /\/assets\/compact-.*\.js$/.test(u))).toBe(true);
    await bob.page.getByTestId("emoji-option").first().waitFor();
    expect(await bob.page.getByTestId("emoji-option").count()).toBeGreaterThan(200);
    await search.fill("rocket");
    await until(bob.page, async () => (await bob.page.getByTestId("emoji-option").first().getAttribute("data-emoji")) === "🚀", "search finds the rocket");
    await search.fill("thumbs up");
    await until(bob.page, async () => ((await bob.page.getByTestId("emoji-option").first().getAttribute("data-emoji")) ?? "").startsWith("👍"), "two words find thumbs up");
    await search.fill("rocket");
    await bob.page.locator('[data-testid="emoji-option"][data-emoji="🚀"]').click();
    await messageByText(alice.page, "react with a rocket").locator('[data-testid="reaction"][data-emoji="🚀"]').waitFor();
    expect(await bob.page.getByTestId("emoji-panel").count()).toBe(0);
  });

  test("an image pasted into the box becomes an upload with a thumbnail, sent as an attachment", async () => {
    const box = alice.page.getByTestId("composer-input");
    await box.click();
    await box.evaluate(async (el) => {
      const c = document.createElement("canvas");
      c.width = 120;
      c.height = 80;
      const g = c.getContext("2d")!;
      g.fillStyle = "#e91e63";
      g.fillRect(0, 0, 120, 80);
      const blob: Blob = await new Promise((r) => c.toBlob((b) => r(b!), "image/png"));
      const dt = new DataTransfer();
      dt.items.add(new File([blob], "image.png", { type: "image/png" }));
      el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
    });
    await alice.page.getByTestId("upload-thumb").waitFor();
    await alice.page.locator('[data-testid="upload"][data-done="true"]').waitFor();
    expect(await box.inputValue()).toBe(""); // the file, not its name as text
    await alice.page.getByTestId("send").click();
    const img = bob.page.getByTestId("attachment-image").last();
    await img.waitFor();
    await until(bob.page, async () => (await img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)) === 120, "the pasted image arrives");
  });

  test("Ctrl+K: a fuzzy part of a name jumps to that conversation", async () => {
    const carl = await registerPerson(browser, server, "carl");
    const carlChat = await startDirect(alice.page, carl.username); // now alice is in carl's chat
    await carl.context.close();
    expect(await alice.page.evaluate(() => location.hash)).toContain(carlChat);
    await alice.page.keyboard.press("Control+k");
    const input = alice.page.getByTestId("switcher-input");
    await input.waitFor();
    expect(await input.evaluate((el) => el === document.activeElement)).toBe(true);
    // "bo" then a letter further on in bob's unique name: not a prefix, still found.
    await input.fill(`bo${bob.username.slice(-2)}`);
    await until(alice.page, async () => (await alice.page.getByTestId("switcher-item").first().getAttribute("data-conversation-id")) === conversationId, "bob's chat ranks first");
    await input.press("Enter");
    await until(alice.page, async () => (await alice.page.evaluate(() => location.hash)).includes(conversationId), "bob's chat is open");
    expect(await alice.page.getByTestId("quick-switcher").count()).toBe(0);
    // Escape closes it without going anywhere.
    await alice.page.keyboard.press("Control+k");
    await alice.page.getByTestId("switcher-input").fill("zzzzqqq");
    await alice.page.getByText("No conversation matches").waitFor();
    await alice.page.keyboard.press("Escape");
    await alice.page.getByTestId("quick-switcher").waitFor({ state: "detached" });
  });

  test("↑ in an empty box edits my last message", async () => {
    await send(alice.page, "first words");
    await send(alice.page, "last words, tpyo");
    await messageByText(bob.page, "last words, tpyo").waitFor();
    const box = alice.page.getByTestId("composer-input");
    await box.click();
    await box.press("ArrowUp");
    await alice.page.getByTestId("composer-context").waitFor();
    expect(await box.inputValue()).toBe("last words, tpyo");
    await box.fill("last words, typo fixed");
    await box.press("Enter");
    await messageByText(bob.page, "last words, typo fixed").getByTestId("edited").waitFor();
    // With text in the box, ↑ is just a cursor key.
    await box.fill("line one\nline two");
    await box.press("ArrowUp");
    expect(await alice.page.getByTestId("composer-context").count()).toBe(0);
    await box.fill("");
  });

  test("an upload that failed while the server was down goes again once reconnected", async () => {
    const state = () => alice.page.getByTestId("conn-state").getAttribute("data-state");
    await server.kill();
    await until(alice.page, async () => (await state()) !== "connected", "alice sees the connection drop");
    await alice.page.getByTestId("file-input").setInputFiles([{ name: "while-down.txt", mimeType: "text/plain", buffer: Buffer.from("sent after the outage\n") }]);
    const upload = alice.page.locator('[data-testid="upload"]', { hasText: "while-down.txt" });
    await until(alice.page, async () => (await upload.getAttribute("data-failed")) === "true", "the upload fails");
    await server.boot();
    await until(alice.page, async () => (await upload.getAttribute("data-done")) === "true", "the upload goes again and completes", 40_000);
    await alice.page.getByTestId("send").click();
    await bob.page.locator('[data-testid="attachment"][data-name="while-down.txt"]').waitFor({ timeout: 40_000 });
  });
});
