import { describe, expect, test } from "bun:test";
import { humanError, sentence } from "../../../web/src/api/humanErrors.ts";

describe("server errors in words for people", () => {
  test("validation names the field in plain words; password reasons have their own sentence", () => {
    expect(humanError("bad_request", "invalid body: username: username: 3-32 chars of a-z 0-9 _ . -", { issues: [{ path: "username", message: "x" }] })).toBe(
      "Usernames are 3 to 32 characters: lowercase letters, digits, and _ . -",
    );
    expect(humanError("bad_request", "invalid body: password: at least 8 characters", { reason: "too_short", issues: [{ path: "password" }] })).toBe("The password needs at least 8 characters.");
    expect(humanError("bad_request", "invalid body: limit: too big", { issues: [{ path: "limit", message: "too big" }] })).toBe("Limit: too big.");
  });

  test("codes with a fixed wording, server trouble, and the rest as sentences", () => {
    expect(humanError("rate_limited", "slow down", { retryAfter: 2.2 })).toBe("Too many attempts. Wait 3 s and try again.");
    expect(humanError("forbidden", "admin role required")).toBe("You are not allowed to do that.");
    expect(humanError("http_error", "HTTP 502", undefined, 502)).toBe("Something went wrong on the server. Try again in a moment.");
    expect(humanError("not_found", "no user named carl")).toBe("No user named carl.");
    expect(sentence("")).toBe("Something went wrong.");
    expect(sentence("Done!")).toBe("Done!");
  });
});
