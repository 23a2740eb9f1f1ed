/**
 * Issue #20, "nothing on the phone layout regresses", in Chromium at 390×844: the account view and
 * the admin view (with a long username in the users table, an audit log entry, the confirmation and
 * temporary-password dialogs) never make the page or a panel scroll sideways, and their buttons are
 * on screen and not covered (tests/web/e2e/phoneFit.ts says how that is measured).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser } from "playwright-core";
import { closeWorld, confirmInApp, launchChromium, NexusServer, registerPerson, shot, type Person } from "./harness.ts";
import { PHONE, phoneProblems } from "./phoneFit.ts";

setDefaultTimeout(120_000);

let server: NexusServer;
let browser: Browser;
let admin: Person; // the first account on a fresh server is the admin
let longName: Person; // the longest username allowed, to stretch the users table

beforeAll(async () => {
  server = await NexusServer.start();
  browser = await launchChromium();
  admin = await registerPerson(browser, server, "admin", PHONE);
  longName = await registerPerson(browser, server, "a.rather-long.username_x", PHONE);
}, 120_000);

afterAll(() => closeWorld(server, browser), 30_000);

const BACK = '.conv-header button[aria-label="Back"]';

describe("phone layout (390×844)", () => {
  test("the account view fits: both forms, their buttons, and the delete confirmation", async () => {
    const page = admin.page;
    await page.getByTestId("open-account").click();
    await page.getByTestId("account-view").waitFor();
    const panels = ['[data-testid="account-view"]', '[data-testid="change-password"]', '[data-testid="delete-account"]', ".account-form input"];
    expect(await phoneProblems(page, panels, [BACK, '[data-testid="change-password-submit"]', '[data-testid="delete-account-submit"]'])).toEqual([]);
    await shot(page, "phone-account");

    await page.getByTestId("delete-password").fill("password-123");
    await page.getByTestId("delete-account-submit").click();
    await page.getByTestId("confirm-dialog").waitFor();
    expect(await phoneProblems(page, ['[data-testid="confirm-dialog"]'], ['[data-testid="confirm-ok"]', '[data-testid="confirm-cancel"]'])).toEqual([]);
    await confirmInApp(page, "cancel");
    await page.locator(BACK).click();
    await page.getByTestId("account-view").waitFor({ state: "detached" });
  });

  test("the admin view fits: the users table with its actions, the audit log, and the temporary password dialog", async () => {
    const page = admin.page;
    await page.getByTestId("open-admin").click();
    const row = page.locator(`[data-testid="admin-user"][data-username="${longName.username}"]`);
    await row.waitFor();
    // An entry in the audit log, and a locked row (its status text is the longest).
    await row.getByTestId("admin-lock").click();
    await confirmInApp(page);
    await row.getByTestId("admin-unlock").waitFor();
    await page.getByTestId("audit-entry").first().waitFor();

    const panels = ['[data-testid="admin-view"]', '[data-testid="admin-view"] table', '[data-testid="admin-user"]', '[data-testid="audit-log"]'];
    const rowButtons = ["admin-unlock", "admin-deactivate", "admin-reset"].map((id) => `[data-username="${longName.username}"] [data-testid="${id}"]`);
    await page.getByTestId("admin-view").evaluate((el) => el.scrollTo(0, 0));
    await shot(page, "phone-admin");
    expect(await phoneProblems(page, panels, [BACK, ...rowButtons])).toEqual([]);

    await row.getByTestId("admin-reset").click();
    await confirmInApp(page);
    await page.getByTestId("temp-password").waitFor();
    expect(await phoneProblems(page, [".modal", '[data-testid="temp-password"]'], ['[data-testid="temp-password-done"]'])).toEqual([]);
    await page.getByTestId("temp-password-done").click();
    await page.locator(BACK).click();
    await page.getByTestId("admin-view").waitFor({ state: "detached" });
  });
});
