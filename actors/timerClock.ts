/**
 * The Clock and Ids every host uses today: wall-clock time, setTimeout timers (they live only while
 * the process or Durable Object is awake, so nothing durable may depend on them), and 128-bit
 * base64url random ids from Web Crypto (present in Bun and workerd alike).
 */
import type { Clock, Ids } from "./ports.ts";
import { randomToken } from "../protocol/ids.ts";

export const timerClock: Clock = {
  now: () => Date.now(),
  schedule(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

export const randomIds: Ids = { random: () => randomToken() };
