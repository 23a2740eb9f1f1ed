/**
 * The Clock and Ids every host uses today: wall-clock time, setTimeout timers (they live only while
 * the process or Durable Object is awake, so nothing durable may depend on them), and 128-bit
 * base64url random ids from Web Crypto (present in Bun and workerd alike).
 */
import type { Clock, Ids } from "./driver.ts";

export const timerClock: Clock = {
  now: () => Date.now(),
  schedule(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

export const randomIds: Ids = {
  random() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    let s = "";
    for (const x of b) s += String.fromCharCode(x);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  },
};
