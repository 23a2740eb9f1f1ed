import { describe, expect, test } from "bun:test";
import { resumeParams } from "../../../web/src/state/resume.ts";
import { Timeline } from "../../../web/src/state/timeline.ts";
import { ME, msg, welcome } from "./fixtures.ts";

describe("resume cursor", () => {
  test("nothing loaded: no cursor (the server sends the newest page)", () => {
    expect(resumeParams(new Timeline(ME))).toEqual({});
  });

  test("follows the last applied seq and the epoch, through live events and resumes", () => {
    const t = new Timeline(ME);
    t.applyWelcome(welcome([msg(1, "a"), msg(2, "b")], false, 2, "ep7"));
    expect(resumeParams(t)).toEqual({ after: 2, epoch: "ep7" });
    t.applyLive(msg(3, "c"));
    t.applyLive(msg(3, "c")); // duplicate: cursor unchanged
    expect(resumeParams(t)).toEqual({ after: 3, epoch: "ep7" });
    t.applyLive(msg(9, "gap")); // a gap is not applied: the cursor must not skip it
    expect(resumeParams(t)).toEqual({ after: 3, epoch: "ep7" });
    t.applyWelcome(welcome([msg(4, "d"), msg(5, "e")], true, 5, "ep7"));
    expect(resumeParams(t)).toEqual({ after: 5, epoch: "ep7" });
  });

  test("an empty conversation resumes after its lastSeq", () => {
    const t = new Timeline(ME);
    t.applyWelcome(welcome([], false, 0, "ep1"));
    expect(resumeParams(t)).toEqual({ after: 0, epoch: "ep1" });
  });
});
