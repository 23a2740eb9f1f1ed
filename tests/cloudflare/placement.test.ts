/**
 * Placement is one decision (hosts/cloudflare/placement.ts) used by the Worker and by DOs alike.
 * workerd ignores location hints, so this checks the choice: no hint until multi-region lands.
 */
import { expect, test } from "bun:test";
import { locationHint } from "../../hosts/cloudflare/placement.ts";

test("no location hint is chosen today, for any kind of object or origin", () => {
  for (const kind of ["conversation", "inbox", "directory"] as const) {
    expect(locationHint(kind, "x")).toBeUndefined();
    expect(locationHint(kind, "x", { continent: "EU" })).toBeUndefined();
  }
});
