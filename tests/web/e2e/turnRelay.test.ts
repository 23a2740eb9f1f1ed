/**
 * Issue #20: a call through a real TURN relay. coturn runs with the TURN REST secret; the Nexus
 * server hands out time-limited credentials signed with it (GET /v1/calls/ice) and tells clients to
 * use the relay only (ICE_TRANSPORT_POLICY=relay). Two Chromium pages reach "connected", and the
 * candidate pair each one selected is a relayed one on both ends (getStats).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser } from "playwright-core";
import { Coturn } from "./coturn.ts";
import { RECORD_PEERS, selectedPair } from "./peerStats.ts";
import { launchChromium, MEDIA_FLAGS, NexusServer, openConversation, type Person, registerPerson, startDirect } from "./harness.ts";

setDefaultTimeout(90_000);

let turn: Coturn;
let server: NexusServer;
let browser: Browser;
let alice: Person;
let bob: Person;

beforeAll(async () => {
  turn = await Coturn.start();
  server = await NexusServer.start({ TURN_URLS: turn.url, TURN_SECRET: turn.secret, ICE_TRANSPORT_POLICY: "relay" });
  browser = await launchChromium(MEDIA_FLAGS);
  alice = await registerPerson(browser, server, "alice");
  bob = await registerPerson(browser, server, "bob");
  for (const p of [alice, bob]) await p.page.addInitScript(RECORD_PEERS);
  for (const p of [alice, bob]) await p.page.reload();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await turn?.stop();
}, 30_000);

describe("a call through a TURN relay", () => {
  test("relay-only: both pages connect, and the selected candidate pair is relay on both ends", async () => {
    const id = await startDirect(alice.page, bob.username);
    await bob.page.locator(`[data-testid="conversation-item"][data-conversation-id="${id}"]`).waitFor();
    await openConversation(bob.page, id);
    await alice.page.getByTestId("call-video").click();
    await bob.page.locator('[data-testid="call-overlay"][data-phase="incoming"]').waitFor();
    await bob.page.getByTestId("call-accept").click();
    for (const p of [alice, bob]) {
      await p.page.locator('[data-testid="call-overlay"][data-phase="connected"][data-ice="connected"]').waitFor({ timeout: 30_000 }).catch((e) => {
        throw new Error(`${e}\n--- coturn log ---\n${turn.log()}`);
      });
    }
    for (const p of [alice, bob]) {
      const pair = await selectedPair(p.page);
      expect(pair.policy).toBe("relay");
      // The credentials are the server's: "<expiry>:<userId>", signed with coturn's secret.
      expect(pair.turnUsername).toMatch(/^\d+:u_/);
      expect(pair.state).toBe("connected");
      expect([pair.local, pair.remote]).toEqual(["relay", "relay"]);
    }
    await alice.page.getByTestId("call-hangup").click();
    await bob.page.locator('[data-testid="call-overlay"][data-phase="ended"]').waitFor();
  });
});
