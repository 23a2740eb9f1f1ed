/**
 * Issue #20 (people): a profile change reaches the other signed-in people's screens live. Bob renames
 * himself, sets a status and uploads an avatar; alice, who chats with him, sees the new name in her
 * list and header and his picture without a reload or a focus change (before, profiles were only
 * re-read every minute), and so does bob's own second window.
 */
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { send, sharedWorld, startDirect, until, type Person } from "./harness.ts";
import { gradientPng } from "./pictures.ts";

setDefaultTimeout(120_000);

const world = sharedWorld("alice", "bob");
let alice: Person; let bob: Person;
beforeAll(() => void ([alice, bob] = world.people));

describe("live profile changes", () => {
  test("bob's new name and avatar show on alice's screen and his other window at once, without a reload", async () => {
    const direct = await startDirect(alice.page, bob.username);
    await send(alice.page, "hi bob");
    await bob.page.locator(`[data-testid="conversation-item"][data-conversation-id="${direct}"]`).click();
    await send(bob.page, "hi alice");
    const item = alice.page.locator(`[data-testid="conversation-item"][data-conversation-id="${direct}"]`);
    await until(alice.page, async () => (await item.getAttribute("data-title")) === bob.username, "bob's username first");
    // Bob's second window (same session), left on the home screen.
    const second = await bob.context.newPage();
    await second.goto("/");
    await second.getByTestId("shell").waitFor();

    await bob.page.getByTestId("me-name").click();
    await bob.page.getByTestId("profile-edit").click();
    await bob.page.getByTestId("profile-avatar-input").setInputFiles({ name: "me.png", mimeType: "image/png", buffer: await gradientPng() });
    await bob.page.getByTestId("profile-dialog").getByTestId("avatar-image").waitFor();
    await bob.page.getByTestId("profile-display-name").fill("Robert Live");
    await bob.page.getByTestId("profile-save").click();
    await bob.page.getByTestId("profile-dialog").waitFor({ state: "detached" });

    // Well within the minute of the periodic refresh, and alice's window never lost focus.
    const started = Date.now();
    await until(alice.page, async () => (await item.getAttribute("data-title")) === "Robert Live", "bob's new name in alice's list", 10_000);
    await until(alice.page, async () => (await alice.page.getByTestId("conversation-title").textContent()) === "Robert Live", "in her header", 10_000);
    await item.getByTestId("avatar-image").waitFor({ timeout: 10_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    await until(second, async () => (await second.getByTestId("me-name").textContent())?.includes("Robert Live") ?? false, "his own second window", 10_000);
    await second.close();
  });
});
