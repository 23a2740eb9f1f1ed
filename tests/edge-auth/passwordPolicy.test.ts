/** Issue #18 item 11: weak passwords are refused at registration with a reason; nothing is stored. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { call, makeHarness, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(async () => h.close());

const attempt = (username: string, password: string) => call(h, "POST", "/v1/auth/register", { body: { username, password } });

describe("password rules at registration", () => {
  const refused: [string, string, string, RegExp][] = [
    ["common", "weak1", "password", /most common/],
    ["common (digits)", "weak2", "12345678", /most common/],
    ["common, any case", "weak3", "PassWord1", /most common/],
    ["only spaces", "weak4", "        ", /only spaces/],
    ["only whitespace", "weak5", " \t \n    ", /only spaces/],
    ["the username", "dorothy", "dorothy1", /username/],
    ["contains the username, any case", "wizard", "xxWIZARDxx", /username/],
    ["7 characters", "weak6", "abcdefg", /at least 8/],
    ["4 emoji (8 UTF-16 units)", "weak7", "🔑🔑🔑🔑", /at least 8/],
  ];
  for (const [what, username, password, message] of refused) {
    test(`refused: ${what}`, async () => {
      const before = await h.userCount();
      const r = await attempt(username, password);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe("bad_request");
      expect(r.body.error.message).toMatch(message);
      expect(JSON.stringify(r.body.error)).toContain("password");
      expect(await h.userCount()).toBe(before);
    });
  }

  test("accepted: long, uncommon, without the username", async () => {
    for (const [u, p] of [["okay1", "correct horse battery"], ["okay2", "correct-horse-battery-9"], ["okay3", "password-123"]]) {
      const r = await attempt(u, p);
      expect(r.status).toBe(201);
    }
  });
});
