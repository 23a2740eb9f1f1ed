/** Web Push keys on the Bun host: made at first start, kept in the database across a crash and restart. */
import { afterAll, expect, test } from "bun:test";
import { Nexus } from "../support/client.ts";
import { SUITE_ENV } from "../conformance/harness.ts";
import { startBunHost } from "./target.ts";

const target = await startBunHost(SUITE_ENV);
afterAll(() => target.stop());

test("the VAPID key pair is generated once and survives a restart", async () => {
  const nx = new Nexus(target.url);
  const u = await nx.register("vapid");
  const { publicKey } = await u.must("GET", "/v1/push/key");
  expect(publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);
  expect(Buffer.from(publicKey, "base64url")[0]).toBe(4); // an uncompressed P-256 point
  await nx.closeAll();
  await target.restart!();
  nx.baseUrl = target.url;
  const again = await nx.login(u.username);
  expect((await again.must("GET", "/v1/push/key")).publicKey).toBe(publicKey);
  await nx.closeAll();
}, 60_000);
