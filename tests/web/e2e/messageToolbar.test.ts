/**
 * Issue #20, defect 5: a message's toolbar never covers text (the author's name, the words, the
 * reaction chips, nor the neighbouring messages), on desktop and on the phone; and only one
 * message's toolbar (and reaction picker) is open at a time.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser, Locator, Page } from "playwright-core";
import { closeWorld, openWorld, launchChromium, messageByText, NexusServer, openConversation, type Person, registerPerson, send, startDirect, until } from "./harness.ts";

setDefaultTimeout(90_000);

let server: NexusServer;
let browser: Browser;
let alice: Person;
let bob: Person;
let conversationId: string;

type Box = { x: number; y: number; width: number; height: number };
const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

beforeAll(async () => {
  ({ server, browser, people: [alice, bob] } = await openWorld("alice", "bob"));
  conversationId = await startDirect(alice.page, bob.username);
  await send(alice.page, "short");
  // Alice's own widest bubble has the most actions (react, reply, edit, delete, and any others).
  await send(alice.page, ("mine " + "words ".repeat(40)).trim());
  await bob.page.locator(`[data-testid="conversation-item"][data-conversation-id="${conversationId}"]`).waitFor();
  await openConversation(bob.page, conversationId);
  // Long lines from bob (widest bubbles), the middle one with a reaction chip.
  for (const t of ["first " + "words ".repeat(40), "second " + "words ".repeat(40), "third " + "words ".repeat(40)]) await send(bob.page, t.trim());
  await until(alice.page, async () => (await alice.page.getByTestId("message").count()) === 5, "alice has 5 messages");
  const middle = messageByText(alice.page, ("second " + "words ".repeat(40)).trim());
  await middle.hover();
  await middle.getByTestId("action-react").click();
  await alice.page.locator('[data-testid="reaction-picker"] [data-emoji="👍"]').click();
  await middle.getByTestId("reaction").waitFor();
}, 120_000);

afterAll(() => closeWorld(server, browser), 30_000);

/** Boxes of everything readable in the log (names, bubbles, chips), except inside `skip`'s toolbar. */
async function readableBoxes(page: Page): Promise<Box[]> {
  return page.locator('[data-testid="message-list"] :is(.msg-author, .bubble, .reaction)').evaluateAll((els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    }),
  );
}

async function visibleToolbars(page: Page): Promise<number> {
  return page.locator(".msg-actions").evaluateAll((els) => els.filter((e) => getComputedStyle(e).display !== "none").length);
}

async function toolbarCoversNothing(page: Page, msg: Locator) {
  await msg.hover();
  const bar = msg.locator(".msg-actions");
  await bar.waitFor();
  const box = (await bar.boundingBox())!;
  const list = (await page.getByTestId("message-list").boundingBox())!;
  // Inside the list (not cut off), and over nothing readable.
  expect(box.x).toBeGreaterThanOrEqual(list.x);
  expect(box.x + box.width).toBeLessThanOrEqual(list.x + list.width);
  for (const b of await readableBoxes(page)) expect(overlaps(box, b)).toBe(false);
}

describe("message toolbar", () => {
  for (const [name, viewport] of [["desktop", { width: 1200, height: 800 }], ["phone", { width: 390, height: 844 }]] as const) {
    test(`${name}: the toolbar covers no name, text or reaction chip`, async () => {
      await alice.page.setViewportSize(viewport);
      await alice.page.goto(`/#/c/${conversationId}`);
      await alice.page.getByTestId("conversation-view").waitFor();
      await alice.page.getByTestId("message-list").evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
      for (const text of ["first", "second", "third"]) await toolbarCoversNothing(alice.page, messageByText(alice.page, (text + " " + "words ".repeat(40)).trim()));
      await toolbarCoversNothing(alice.page, messageByText(alice.page, "short"));
      await toolbarCoversNothing(alice.page, messageByText(alice.page, ("mine " + "words ".repeat(40)).trim()));
    });
  }

  test("only one toolbar and one reaction picker at a time", async () => {
    await alice.page.setViewportSize({ width: 1200, height: 800 });
    const first = messageByText(alice.page, ("first " + "words ".repeat(40)).trim());
    const third = messageByText(alice.page, ("third " + "words ".repeat(40)).trim());
    await first.hover();
    await first.getByTestId("action-react").click(); // focus stays in the first message, picker open
    await alice.page.getByTestId("reaction-picker").waitFor();
    await third.hover();
    // While its picker is open, the first message keeps the only toolbar.
    expect(await visibleToolbars(alice.page)).toBe(1);
    expect(await first.locator(".msg-actions").isVisible()).toBe(true);
    // A press elsewhere closes the picker; the next one opens alone.
    await third.getByTestId("message-text").click();
    await alice.page.getByTestId("reaction-picker").waitFor({ state: "detached" });
    await third.hover();
    await third.getByTestId("action-react").click();
    expect(await alice.page.getByTestId("reaction-picker").count()).toBe(1);
    expect(await third.getByTestId("reaction-picker").count()).toBe(1);
    await alice.page.keyboard.press("Escape");
    await alice.page.mouse.move(1, 1);
    await first.getByTestId("message-text").click(); // focus one message, then point at another
    await third.hover();
    expect(await visibleToolbars(alice.page)).toBe(1);
  });
});
