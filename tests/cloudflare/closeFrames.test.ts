/**
 * What a Durable Object may put in a close frame: workerd throws on reserved codes (1005/1006
 * echoed from a peer) and on reasons over 123 UTF-8 bytes, which would leave the socket open.
 */
import { expect, test } from "bun:test";
import { closeCode, closeReason } from "../../hosts/cloudflare/doConnection.ts";

test("reserved and invalid close codes become 1000; ours and standard ones pass through", () => {
  for (const reserved of [1004, 1005, 1006, 1015, 0, 999, 1016, 2999, 5000]) expect(closeCode(reserved)).toBe(1000);
  for (const ok of [1000, 1001, 1008, 1011, 3000, 4003, 4004, 4008, 4009, 4999]) expect(closeCode(ok)).toBe(ok);
});

test("close reasons are cut to 123 UTF-8 bytes on a character boundary", () => {
  expect(closeReason("removed from conversation")).toBe("removed from conversation");
  const ascii = closeReason("x".repeat(200));
  expect(ascii.length).toBe(123);
  const wide = closeReason("é".repeat(100)); // 2 bytes each
  expect(new TextEncoder().encode(wide).length).toBe(122);
  expect(wide).toBe("é".repeat(61));
  const emoji = closeReason("😀".repeat(40)); // 4 bytes each, never split
  expect(emoji).toBe("😀".repeat(30));
});
