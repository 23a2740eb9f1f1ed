import { describe, expect, test } from "bun:test";
import { memberCount, usernameInHistory } from "../../../web/src/state/names.ts";
import type { Row } from "../../../web/src/state/timeline.ts";

describe("names of former members", () => {
  test("the newest membership event in the history names them; unknown otherwise", () => {
    const rows = [
      { kind: "system", key: "s:2", seq: 2, ts: 1, event: { kind: "member", seq: 2, ts: 1, author: "u_a", action: "add", userId: "u_c", username: "carl", role: "member" } },
      { kind: "system", key: "s:3", seq: 3, ts: 2, event: { kind: "member", seq: 3, ts: 2, author: "u_c", action: "leave", userId: "u_c", username: "carl2", role: "member" } },
    ] as unknown as Row[];
    expect(usernameInHistory(rows, "u_c")).toBe("carl2");
    expect(usernameInHistory(rows, "u_x")).toBeUndefined();
  });

  test("member counts are singular for one", () => {
    expect([0, 1, 2].map(memberCount)).toEqual(["0 members", "1 member", "2 members"]);
  });
});
