/**
 * Links and formatting as a reader sees them: Markdown-subset elements in the bubble, http(s)
 * links that open safely in a new tab, and hostile text (HTML, javascript: links) shown as text.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser } from "playwright-core";
import { closeWorld, openWorld, launchChromium, NexusServer, openConversation, type Person, registerPerson, send, shot, startDirect, until } from "./harness.ts";

setDefaultTimeout(60_000);

let server: NexusServer;
let browser: Browser;
let alice: Person;
let bob: Person;

beforeAll(async () => {
  ({ server, browser, people: [alice, bob] } = await openWorld("alice", "bob"));
}, 120_000);

afterAll(() => closeWorld(server, browser), 30_000);

describe("links and formatting", () => {
  test("bold, italic, strike, code, quotes, lists and links render as elements; hostile text stays text", async () => {
    const conversationId = await startDirect(alice.page, bob.username);
    await send(alice.page, "**bold** *it* ~~gone~~ `a<b` see https://example.org/x.");
    await send(alice.page, "> quoted\n- one\n- two\n1. first\n```\nlet x = **1**;\n```");
    await send(alice.page, '<script>window.pwned=1</script><img src=x onerror="window.pwned=2"> [x](javascript:window.pwned=3) javascript:alert(1)');
    await openConversation(bob.page, conversationId);
    const bubbles = bob.page.locator('[data-testid="message"] [data-testid="message-text"]');
    await until(bob.page, async () => (await bubbles.count()) === 3, "bob has the three messages");

    const first = bubbles.nth(0);
    expect(await first.locator("strong").textContent()).toBe("bold");
    expect(await first.locator("em").textContent()).toBe("it");
    expect(await first.locator("s").textContent()).toBe("gone");
    expect(await first.locator("code").textContent()).toBe("a<b");
    const link = first.getByTestId("message-link");
    expect(await link.getAttribute("href")).toBe("https://example.org/x");
    expect(await link.getAttribute("rel")).toBe("noopener noreferrer");
    expect(await link.getAttribute("target")).toBe("_blank");
    expect(await link.textContent()).toBe("https://example.org/x");

    const second = bubbles.nth(1);
    expect(await second.locator("blockquote").textContent()).toBe("quoted");
    expect(await second.locator("ul > li").allTextContents()).toEqual(["one", "two"]);
    expect(await second.locator("ol > li").allTextContents()).toEqual(["first"]);
    expect(await second.locator("pre code").textContent()).toBe("let x = **1**;");

    const third = bubbles.nth(2);
    expect(await third.textContent()).toContain("<script>window.pwned=1</script>");
    expect(await third.locator("script, img, a").count()).toBe(0);
    expect(await bob.page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    // No link anywhere in the log points anywhere but http(s).
    const hrefs = await bob.page.locator('[data-testid="message-list"] a').evaluateAll((as) => as.map((a) => a.getAttribute("href") ?? ""));
    expect(hrefs.length).toBeGreaterThan(0);
    expect(hrefs.every((h) => /^https?:\/\//.test(h))).toBe(true);
    await shot(bob.page, "formatting");
  });
});
