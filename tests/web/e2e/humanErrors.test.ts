/**
 * Issue #20, defect 9: errors from the server read as sentences for people, never the server's
 * developer text ("invalid body: username: username: 3-32 chars…").
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser } from "playwright-core";
import { launchChromium, NexusServer, registerPerson, uniqueUser } from "./harness.ts";

setDefaultTimeout(90_000);

let server: NexusServer;
let browser: Browser;

beforeAll(async () => {
  server = await NexusServer.start();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
}, 30_000);

describe("error messages", () => {
  test("registration: a bad username and a common password are explained in plain words", async () => {
    const context = await browser.newContext({ baseURL: server.url });
    const page = await context.newPage();
    await page.goto("/");
    await page.getByTestId("tab-register").click();
    await page.getByTestId("auth-username").fill("bad name!");
    await page.getByTestId("auth-password").fill("password-123");
    await page.getByTestId("auth-submit").click();
    const error = page.getByTestId("auth-error");
    await error.waitFor();
    expect(await error.textContent()).toBe("Usernames are 3 to 32 characters: lowercase letters, digits, and _ . -");

    await page.getByTestId("auth-username").fill(uniqueUser("erin"));
    await page.getByTestId("auth-password").fill("12345678");
    await page.getByTestId("auth-submit").click();
    await page.getByTestId("auth-error").filter({ hasText: "common" }).waitFor();
    expect(await error.textContent()).toBe("That password is one of the most common ones. Choose another.");
    await context.close();
  });

  test("starting a chat with nobody: a sentence, not the server's text", async () => {
    const p = await registerPerson(browser, server, "fay");
    await p.page.getByTestId("new-direct").click();
    await p.page.getByTestId("direct-username").fill("nobody-here");
    await p.page.getByTestId("direct-start").click();
    const err = p.page.getByTestId("new-direct-dialog").locator('[role="alert"]');
    await err.waitFor();
    expect(await err.textContent()).toBe("No user named nobody-here.");
  });
});
