/**
 * Clock for actors inside a Durable Object. Timers are plain setTimeout: they only live while the
 * object is awake, and a pending timer keeps it from hibernating, which is right for the short
 * timers actors use (typing indicators). Nothing durable may depend on them.
 */
import type { Clock, Ids } from "../../driver.ts";

export const doClock: Clock = {
  now: () => Date.now(),
  schedule(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

/** 128 random bits, base64url (22 chars). */
export const doIds: Ids = {
  random() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    let s = "";
    for (const x of b) s += String.fromCharCode(x);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  },
};
