/** Clock and ids for actors running in a Bun process. */
import type { Clock, Ids } from "../../driver.ts";

export const bunClock: Clock = {
  now: () => Date.now(),
  schedule(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

export const bunIds: Ids = {
  random: () => Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString("base64url"),
};
