/**
 * Issue #20, defect 10 (the small ones): the composer has the cursor after starting a chat; a
 * reaction does not move the chat's time in the list; a quoted reply leads to the quoted message;
 * the first load says "Connecting…", never "Reconnecting…"; the list and the header agree on "last
 * seen"; an attachment's size is readable on my own (blue) bubble.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser } from "playwright-core";
import { closeWorld, openWorld, launchChromium, messageByText, NexusServer, openConversation, type Person, registerPerson, send, startDirect, until } from "./harness.ts";

setDefaultTimeout(120_000);

let server: NexusServer;
let browser: Browser;
let alice: Person;
let bob: Person;
let conversationId: string;

beforeAll(async () => {
  ({ server, browser, people: [alice, bob] } = await openWorld("alice", "bob"));
}, 120_000);

afterAll(() => closeWorld(server, browser), 30_000);

const item = (p: Person) => p.page.locator(`[data-testid="conversation-item"][data-conversation-id="${conversationId}"]`);

describe("small rough edges", () => {
  test("after starting a chat the cursor is in the message box", async () => {
    conversationId = await startDirect(alice.page, bob.username);
    await until(alice.page, async () => (await alice.page.evaluate(() => document.activeElement?.getAttribute("data-testid"))) === "composer-input", "composer focused");
    await alice.page.keyboard.type("typed straight away");
    await alice.page.keyboard.press("Enter");
    await messageByText(alice.page, "typed straight away").waitFor();
  });

  test("a quoted reply brings the quoted message into view", async () => {
    for (let i = 0; i < 30; i++) await send(alice.page, `filler ${i}`);
    await item(bob).waitFor();
    await openConversation(bob.page, conversationId);
    const original = messageByText(bob.page, "typed straight away");
    await original.scrollIntoViewIfNeeded();
    await original.hover();
    await original.getByTestId("action-reply").click();
    await send(bob.page, "answering the first one");
    const reply = messageByText(alice.page, "answering the first one");
    await reply.getByTestId("reply-quote").waitFor();
    const target = messageByText(alice.page, "typed straight away");
    expect(await target.isVisible()).toBe(true);
    const inView = () => target.evaluate((el) => {
      const list = el.closest('[data-testid="message-list"]')!.getBoundingClientRect();
      const r = el.getBoundingClientRect();
      return r.top >= list.top && r.bottom <= list.bottom;
    });
    expect(await inView()).toBe(false);
    await reply.getByTestId("reply-quote").click();
    await until(alice.page, inView, "quoted message scrolled into view", 10_000);
  });

  test("a reaction does not move the chat's time in the list", async () => {
    await send(alice.page, "react to me later");
    const msg = messageByText(bob.page, "react to me later");
    await msg.waitFor();
    const sentTs = Number(await msg.getAttribute("data-ts"));
    expect(sentTs).toBeGreaterThan(Date.now() - 60_000);
    const sentAt = (await msg.locator(".msg-meta span").first().textContent())!;
    // The list's time is compared to the millisecond (data-ts), so the reaction only has to commit
    // at another instant, not in the next minute.
    await bob.page.waitForTimeout(300);
    await msg.hover();
    await msg.getByTestId("action-react").click();
    await bob.page.locator('[data-testid="reaction-picker"] [data-emoji="🎉"]').click();
    await messageByText(alice.page, "react to me later").getByTestId("reaction").waitFor();
    await alice.page.waitForTimeout(500); // the summary follows the reaction's commit
    for (const p of [alice, bob]) {
      expect(Number(await item(p).getByTestId("conversation-time").getAttribute("data-ts"))).toBe(sentTs);
      expect(await item(p).getByTestId("conversation-time").textContent()).toBe(sentAt);
    }
  });

  test("the first load says Connecting…, never Reconnecting…", async () => {
    await alice.context.addInitScript(() => {
      const seen: string[] = [];
      (window as any).__connStates = seen;
      new MutationObserver(() => {
        const t = document.querySelector('[data-testid="conn-state"]')?.textContent ?? "";
        if (t && seen.at(-1) !== t) seen.push(t);
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    await alice.page.reload();
    await alice.page.locator('[data-testid="conn-state"][data-state="connected"]').waitFor();
    const states = (await alice.page.evaluate(() => (window as any).__connStates)) as string[];
    expect(states.at(-1)).toStartWith("Connected");
    expect(states.some((s) => s.includes("Reconnecting"))).toBe(false);
  });

  test("the list and the header say the same 'last seen'", async () => {
    await bob.context.close(); // bob goes offline
    // Alice's page on a clock the test can move: a minute goes by without waiting for it.
    await alice.page.clock.install();
    await alice.page.goto(`/#/c/${conversationId}`);
    await alice.page.reload();
    const seen = item(alice).getByTestId("last-seen");
    await until(alice.page, async () => ((await seen.textContent()) ?? "").startsWith("last seen"), "bob offline in the list", 20_000);
    expect(await seen.textContent()).toBe("last seen just now");
    // Let a minute go by with both on screen: they must move together.
    await alice.page.clock.fastForward(65_000);
    await until(alice.page, async () => (await seen.textContent()) === "last seen 1 min ago", "a minute later in the list", 10_000);
    // The header is drawn with the conversation's info, which may come a moment after the list.
    const header = alice.page.getByTestId("conversation-subtitle");
    await until(alice.page, async () => (await header.textContent()) === "last seen 1 min ago", "a minute later in the header", 10_000);
    expect(await seen.textContent()).toBe(await header.textContent());
  });

  test("the attachment size on my own bubble is readable (contrast at least 4.5:1)", async () => {
    await alice.page.getByTestId("file-input").setInputFiles([{ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("some notes\n") }]);
    await alice.page.locator('[data-testid="upload"][data-done="true"]').waitFor();
    await alice.page.getByTestId("send").click();
    const size = alice.page.locator('.msg.mine[data-status="delivered"] [data-testid="attachment"][data-name="notes.txt"] .muted');
    await size.waitFor();
    const ratio = await size.evaluate((el) => {
      const rgb = (s: string) => {
        const m = s.match(/[\d.]+/g);
        if (!m) throw new Error(`not a colour: ${s}`);
        return m.map(Number);
      };
      const bubble = el.closest(".bubble")!;
      const [br, bg, bb] = rgb(getComputedStyle(bubble).backgroundColor);
      const [r, g, b] = rgb(getComputedStyle(el).color);
      let alpha = 1;
      for (let n: Element | null = el; n && n !== bubble; n = n.parentElement) alpha *= Number(getComputedStyle(n).opacity);
      const mix = (c: number, base: number) => c * alpha + base * (1 - alpha);
      const lum = (c: number[]) => {
        const [x, y, z] = c.map((v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
        return 0.2126 * x! + 0.7152 * y! + 0.0722 * z!;
      };
      const fg = lum([mix(r!, br!), mix(g!, bg!), mix(b!, bb!)]);
      const bgL = lum([br!, bg!, bb!]);
      return (Math.max(fg, bgL) + 0.05) / (Math.min(fg, bgL) + 0.05);
    });
    expect(ratio).toBeGreaterThanOrEqual(4.5);
  });
});
