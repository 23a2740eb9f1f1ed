/**
 * Accounts and groups through the UI: lockout message after 3 failed logins, log out and back in,
 * the admin view (lock/unlock, delete anyone's message), groups (create, rename, add, remove,
 * leave), and the title badge + notification for a hidden tab.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { closeWorld, openWorld, confirmInApp, createGroup, launchChromium, messageByText, messageTexts, NexusServer, openConversation, type Person, registerPerson, send, shot, startDirect, until } from "./harness.ts";

setDefaultTimeout(90_000);

let server: NexusServer;
let browser: Browser;
let admin: Person; // first account on a fresh server becomes admin
let bob: Person;
let carol: Person;

beforeAll(async () => {
  ({ server, browser, people: [admin, bob, carol] } = await openWorld("admin", "bob", "carol"));
}, 120_000);

afterAll(() => closeWorld(server, browser), 30_000);

async function login(page: Page, username: string, password: string) {
  await page.getByTestId("auth-username").fill(username);
  await page.getByTestId("auth-password").fill(password);
  await page.getByTestId("auth-submit").click();
}

describe("accounts", () => {
  test("log out, then three wrong passwords lock the account with a clear message", async () => {
    const page = carol.page;
    await page.getByTestId("logout").click();
    await page.getByTestId("auth-screen").waitFor();
    await shot(page, "login");
    const attempt = async (password: string) => {
      const answered = page.waitForResponse((r) => r.url().endsWith("/v1/auth/login"));
      await login(page, carol.username, password);
      return (await answered).status();
    };
    for (let i = 0; i < 2; i++) {
      expect(await attempt("wrong-password")).toBe(401);
      await page.getByTestId("auth-error").waitFor();
      expect(await page.getByTestId("auth-error").textContent()).toBe("Wrong username or password.");
    }
    // The third failure locks the account, and the message says so (not "wrong password").
    expect(await attempt("wrong-password")).toBe(423);
    const locked = page.getByTestId("auth-locked");
    await locked.waitFor();
    expect(await locked.textContent()).toContain("3 failed logins");
    // Even the right password is refused while locked.
    expect(await attempt("password-123")).toBe(423);
    expect(await locked.textContent()).toContain("locked");
    await shot(page, "login-locked");
  });

  test("an admin sees users and unlocks the locked one, who can then log in", async () => {
    await admin.page.getByTestId("open-admin").click();
    const row = admin.page.locator(`[data-testid="admin-user"][data-username="${carol.username}"]`);
    await row.waitFor();
    expect(await row.getByTestId("admin-user-status").textContent()).toContain("Locked");
    await shot(admin.page, "admin-users");
    await row.getByTestId("admin-unlock").click();
    await until(admin.page, async () => (await row.getByTestId("admin-user-status").textContent()) === "Active", "carol unlocked");

    await login(carol.page, carol.username, "password-123");
    await carol.page.getByTestId("shell").waitFor();

    // Lock bob from the admin view: his next login is refused.
    const bobRow = admin.page.locator(`[data-testid="admin-user"][data-username="${bob.username}"]`);
    await bobRow.getByTestId("admin-lock").click();
    await confirmInApp(admin.page);
    await until(admin.page, async () => ((await bobRow.getByTestId("admin-user-status").textContent()) ?? "").startsWith("Locked"), "bob locked");
    // Bob's open session is ended by the lock, with a message saying why; logging in is refused.
    await bob.page.getByTestId("auth-notice").waitFor();
    await login(bob.page, bob.username, "password-123");
    await bob.page.getByTestId("auth-locked").waitFor();
    await bobRow.getByTestId("admin-unlock").click();
    await until(admin.page, async () => (await bobRow.getByTestId("admin-user-status").textContent()) === "Active", "bob unlocked");
    await login(bob.page, bob.username, "password-123");
    await bob.page.getByTestId("shell").waitFor();
  });
});

describe("groups", () => {
  let groupId: string;

  test("create a group with members, rename it, add and remove a member, leave", async () => {
    groupId = await createGroup(admin.page, "Weekend plans", bob.username);
    await send(admin.page, "Who is in?");

    const bobItem = bob.page.locator(`[data-testid="conversation-item"][data-conversation-id="${groupId}"]`);
    await bobItem.waitFor();
    await openConversation(bob.page, groupId);
    await until(bob.page, async () => (await messageTexts(bob.page)).includes("Who is in?"), "bob sees the group message");

    await admin.page.getByTestId("group-settings").click();
    await admin.page.getByTestId("rename-input").fill("Weekend trip");
    await admin.page.getByTestId("rename-save").click();
    await until(bob.page, async () => (await bob.page.getByTestId("conversation-title").textContent()) === "Weekend trip", "bob sees the new title");

    await admin.page.getByTestId("add-member-input").fill(carol.username);
    await admin.page.getByTestId("add-member").click();
    await admin.page.locator(`[data-testid="member"][data-username="${carol.username}"]`).waitFor();
    await carol.page.locator(`[data-testid="conversation-item"][data-conversation-id="${groupId}"]`).waitFor();
    await openConversation(carol.page, groupId);

    await admin.page.locator(`[data-testid="member"][data-username="${carol.username}"] [data-testid="member-remove"]`).click();
    await confirmInApp(admin.page);
    await admin.page.locator(`[data-testid="member"][data-username="${carol.username}"]`).waitFor({ state: "detached" });
    await carol.page.locator(`[data-testid="conversation-item"][data-conversation-id="${groupId}"]`).waitFor({ state: "detached" });
    // Carol had it open: the view says why, and nothing can be typed or sent there any more.
    await carol.page.locator('[data-testid="composer-input"]:disabled').waitFor();
    expect(await carol.page.getByTestId("send").isDisabled()).toBe(true);
    await carol.page.evaluate(() => (location.hash = "#/"));
    await carol.page.getByTestId("conversation-view").waitFor({ state: "detached" });
    await admin.page.getByRole("button", { name: "Close" }).click();

    // Bob leaves; the group disappears from his list and the others see a system line.
    await bob.page.getByTestId("group-settings").click();
    await bob.page.getByTestId("leave-group").click();
    await confirmInApp(bob.page);
    await bobItem.waitFor({ state: "detached" });
    await admin.page.locator('[data-testid="system-line"]', { hasText: `${bob.username} left` }).waitFor();
  });

  test("the account admin can delete anyone's message", async () => {
    const chat = await startDirect(carol.page, admin.username);
    await send(carol.page, "please delete me");
    await admin.page.locator(`[data-testid="conversation-item"][data-conversation-id="${chat}"]`).waitFor();
    await openConversation(admin.page, chat);
    const msg = messageByText(admin.page, "please delete me");
    await msg.hover();
    await msg.getByTestId("action-delete").click();
    await confirmInApp(admin.page);
    await until(carol.page, async () => (await messageTexts(carol.page)).includes("Message deleted"), "carol sees it deleted");
    expect(await messageTexts(carol.page)).not.toContain("please delete me");
  });
});

describe("hidden tab", () => {
  test("title badge and a browser notification for a message while the tab is hidden", async () => {
    await carol.context.grantPermissions(["notifications"]);
    // Bob opens the chat; carol is elsewhere (the empty screen) with her tab hidden.
    const chat = await startDirect(bob.page, carol.username);
    await carol.page.evaluate(() => (location.hash = "#/"));
    await carol.page.evaluate(() => {
      // Record notifications (headless Chromium has no notification center to look at).
      const seen: string[] = [];
      (window as any).__notifications = seen;
      const Original = window.Notification;
      (window as any).Notification = class extends Original {
        constructor(title: string, opts?: NotificationOptions) {
          super(title, opts);
          seen.push(`${title}: ${opts?.body}`);
        }
      };
      Object.defineProperty(window.Notification, "permission", { get: () => "granted" });
      Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
      document.dispatchEvent(new Event("visibilitychange"));
    });
    await send(bob.page, "ping while hidden");
    await until(carol.page, async () => /^\(\d+\) Nexus$/.test(await carol.page.title()), "title badge");
    await until(carol.page, async () => ((await carol.page.evaluate(() => (window as any).__notifications)) as string[]).length > 0, "notification shown");
    expect(await carol.page.evaluate(() => (window as any).__notifications)).toEqual([`${bob.username}: ping while hidden`]);
  });
});

describe("your account and the admin's tools (#20)", () => {
  const openAdmin = async () => {
    await admin.page.getByTestId("open-admin").click();
    await admin.page.getByTestId("admin-view").waitFor();
  };
  const rowOf = (username: string) => admin.page.locator(`[data-testid="admin-user"][data-username="${username}"]`);
  const statusOf = async (username: string) => (await rowOf(username).getByTestId("admin-user-status").textContent()) ?? "";

  test("change password: a wrong current one is refused; then this device stays signed in and my other device is signed out", async () => {
    const other = await browser.newContext({ viewport: { width: 1200, height: 800 }, baseURL: server.url });
    try {
      const phone = await other.newPage();
      await phone.goto("/");
      await login(phone, bob.username, "password-123");
      await phone.locator('[data-testid="conn-state"][data-state="connected"]').waitFor();

      const page = bob.page;
      await page.getByTestId("open-account").click();
      const form = page.getByTestId("change-password");
      await form.getByTestId("current-password").fill("not-my-password");
      await form.getByTestId("new-password").fill("bob-gets-a-new-one-77".replace("bob", "b0b"));
      await form.getByTestId("new-password-again").fill("bob-gets-a-new-one-77".replace("bob", "b0b"));
      await form.getByTestId("change-password-submit").click();
      await form.getByRole("alert").waitFor();
      expect(await form.getByRole("alert").textContent()).toBe("The current password is wrong.");
      await shot(page, "account");

      await form.getByTestId("current-password").fill("password-123");
      await form.getByTestId("change-password-submit").click();
      await page.getByText("Password changed. Your other devices were signed out.").waitFor();
      // The other device is told, on the login screen; this one reconnects on its new session.
      await phone.getByTestId("auth-notice").waitFor();
      await page.locator('[data-testid="conn-state"][data-state="connected"]').waitFor();
      expect(await page.getByTestId("auth-screen").count()).toBe(0);
      await login(phone, bob.username, "b0b-gets-a-new-one-77");
      await phone.getByTestId("shell").waitFor();
    } finally {
      await other.close();
    }
  });

  test("admin: deactivate ends carol's session and refuses her login; reactivate; a reset password makes her choose a new one; the audit log shows it all", async () => {
    await openAdmin();
    await rowOf(carol.username).getByTestId("admin-deactivate").click();
    await confirmInApp(admin.page);
    await until(admin.page, async () => (await statusOf(carol.username)) === "Deactivated", "carol deactivated");
    await carol.page.getByTestId("auth-notice").waitFor();
    await login(carol.page, carol.username, "password-123");
    await carol.page.getByTestId("auth-locked").waitFor();
    expect(await carol.page.getByTestId("auth-locked").textContent()).toContain("deactivated");

    await rowOf(carol.username).getByTestId("admin-reactivate").click();
    await until(admin.page, async () => (await statusOf(carol.username)) === "Active", "carol reactivated");
    await rowOf(carol.username).getByTestId("admin-reset").click();
    await confirmInApp(admin.page);
    const temporary = (await admin.page.getByTestId("temp-password").textContent())!.trim();
    expect(temporary).toMatch(/^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
    await shot(admin.page, "admin-reset-password");
    await admin.page.getByTestId("temp-password-done").click();
    const actions = await admin.page.locator('[data-testid="audit-entry"]').evaluateAll((rows) => rows.slice(0, 3).map((r) => r.getAttribute("data-action")));
    expect(actions).toEqual(["reset_password", "reactivate", "deactivate"]);
    expect(await admin.page.locator('[data-testid="audit-entry"]').first().textContent()).toContain(carol.username);

    await login(carol.page, carol.username, temporary);
    await carol.page.getByTestId("auth-new-password").waitFor();
    expect(await carol.page.getByTestId("auth-error").textContent()).toContain("reset your password");
    await carol.page.getByTestId("auth-new-password").fill("a-fresh-start-for-her");
    await carol.page.getByTestId("auth-submit").click();
    await carol.page.getByTestId("shell").waitFor();
  });

  test("delete my account: my password again, confirmed in the app's dialog; signed out; the other side still has our chat", async () => {
    const page = carol.page;
    await page.getByTestId("open-account").click();
    const form = page.getByTestId("delete-account");
    await form.getByTestId("delete-password").fill("password-123"); // no longer hers
    await form.getByTestId("delete-account-submit").click();
    await confirmInApp(page);
    await form.getByRole("alert").waitFor();
    expect(await form.getByRole("alert").textContent()).toBe("The current password is wrong.");
    await form.getByTestId("delete-password").fill("a-fresh-start-for-her");
    await form.getByTestId("delete-account-submit").click();
    await confirmInApp(page);
    await page.getByTestId("auth-screen").waitFor();
    expect(await page.getByTestId("auth-notice").textContent()).toBe("Your account was deleted.");
    await login(page, carol.username, "a-fresh-start-for-her");
    await page.getByTestId("auth-error").waitFor();

    await admin.page.reload();
    await until(admin.page, async () => (await statusOf(carol.username)) === "Deleted", "carol shown as deleted");
    expect(await rowOf(carol.username).getByTestId("admin-deactivate").count()).toBe(0);
    // Their 1:1 chat stays in bob's list and opens.
    // Titled with her old name until bob's page re-reads her profile, then "Deleted user" (deletedUser.test.ts).
    const chat = bob.page.locator('[data-testid="conversation-item"]', { hasText: new RegExp(`${carol.username}|Deleted user`) });
    await chat.first().click();
    await bob.page.getByTestId("conversation-view").waitFor();
    await until(bob.page, async () => (await messageTexts(bob.page)).includes("ping while hidden"), "bob still reads the chat");
  });
});
