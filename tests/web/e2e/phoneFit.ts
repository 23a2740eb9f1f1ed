/**
 * Layout checks for the phone viewport (390×844, issue #20 "nothing on the phone layout regresses"),
 * returned as a list of problems in words so a failure says what sticks out or what covers a button:
 *  - the page never scrolls sideways (document.scrollingElement.scrollWidth ≤ innerWidth);
 *  - each panel or dialog lies inside the viewport's width (a table wider than its scrolling pane
 *    counts: the person would have to scroll sideways inside it to reach a column);
 *  - each button, once scrolled into view, is visible, inside the viewport and the topmost element
 *    at its centre (elementFromPoint), so a tap reaches it and not something drawn over it.
 */
import type { Page } from "playwright-core";

export const PHONE = { width: 390, height: 844 };

/** Problems with these panels (every match) and buttons (the first match), both CSS selectors. */
export async function phoneProblems(page: Page, panels: string[], buttons: string[] = []): Promise<string[]> {
  const problems = await page.evaluate((sels) => {
    const out: string[] = [];
    const root = document.scrollingElement!;
    if (root.scrollWidth > innerWidth) out.push(`the page scrolls sideways: ${root.scrollWidth} > ${innerWidth}`);
    for (const sel of sels) {
      const found = [...document.querySelectorAll(sel)];
      if (found.length === 0) out.push(`${sel}: not on the page`);
      for (const el of found) {
        const r = el.getBoundingClientRect();
        if (r.left < -0.5 || r.right > innerWidth + 0.5) out.push(`${sel} sticks out: ${Math.round(r.left)}..${Math.round(r.right)} of ${innerWidth}`);
      }
    }
    return out;
  }, panels);
  for (const id of buttons) {
    const button = page.locator(id).first();
    if ((await button.count()) === 0) {
      problems.push(`${id}: not on the page`);
      continue;
    }
    await button.scrollIntoViewIfNeeded();
    problems.push(
      ...(await button.evaluate((el, name) => {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) return [`${name}: not visible`];
        if (r.left < -0.5 || r.right > innerWidth + 0.5 || r.top < -0.5 || r.bottom > innerHeight + 0.5)
          return [`${name}: outside the screen (${Math.round(r.left)},${Math.round(r.top)}..${Math.round(r.right)},${Math.round(r.bottom)})`];
        const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        if (!top || !(el === top || el.contains(top))) return [`${name}: covered by ${top ? `${top.tagName.toLowerCase()}.${top.className}` : "nothing"}`];
        return [];
      }, id)),
    );
  }
  return problems;
}
