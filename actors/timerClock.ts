/**
 * The Clock and Ids every host uses today: wall-clock time, setTimeout timers (they live only while
 * the process or Durable Object is awake, so nothing durable may depend on them), and 128-bit
 * base64url random ids from Web Crypto (present in Bun and workerd alike).
 *
 * Timers of `COARSE_FROM_MS` or more share wake-ups: their deadline is rounded up to the next
 * multiple of `GRID_MS`, and all timers due at one grid point run from one setTimeout. They are the
 * write-behind and coalescing timers (inbox notices 100 ms, read cursors 250 ms, inbox saves
 * 500 ms, typing expiry, ring timeouts), thousands a second at everyday load across many
 * conversations; each separate wake-up of an idle thread cost ~40 µs of CPU on the 2-core box,
 * more than the work the timer did (bench/README.md, everyday cost). Shorter timers (commit waits,
 * retries of a few ms) keep their exact deadline.
 */
import type { Clock, Ids } from "./ports.ts";
import { randomToken } from "../protocol/ids.ts";

const GRID_MS = 50;
const COARSE_FROM_MS = 100;

/** Callbacks due at each grid point (ms since the epoch), one setTimeout per point. */
interface Slot {
  fns: Set<() => void>;
  timer: ReturnType<typeof setTimeout>;
}
const slots = new Map<number, Slot>();

function runSlot(due: number): void {
  const slot = slots.get(due);
  slots.delete(due);
  if (!slot) return;
  for (const fn of slot.fns) {
    try {
      fn();
    } catch (e) {
      // One failing callback must not skip the others; the error still surfaces as uncaught.
      queueMicrotask(() => {
        throw e;
      });
    }
  }
}

function scheduleCoarse(ms: number, fn: () => void): () => void {
  const now = Date.now();
  const due = Math.ceil((now + ms) / GRID_MS) * GRID_MS;
  let slot = slots.get(due);
  if (!slot) {
    slot = { fns: new Set(), timer: setTimeout(() => runSlot(due), due - now) };
    slots.set(due, slot);
  }
  const entry = () => fn(); // a fresh identity: the same fn may be scheduled twice
  slot.fns.add(entry);
  return () => {
    const s = slots.get(due);
    if (!s?.fns.delete(entry) || s.fns.size > 0) return;
    clearTimeout(s.timer); // nothing left to run: no wake-up
    slots.delete(due);
  };
}

function scheduleExact(ms: number, fn: () => void): () => void {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
}

/** For a process that owns all of its actors (Bun host, cluster nodes): shared wake-ups. */
export const timerClock: Clock = {
  now: () => Date.now(),
  schedule: (ms, fn) => (ms >= COARSE_FROM_MS ? scheduleCoarse(ms, fn) : scheduleExact(ms, fn)),
};

/** One timer per call. Durable Objects must use this: a shared slot would run one object's
 *  callback (and its storage I/O) from another object's timer, which workerd refuses ("Cannot
 *  perform I/O on behalf of a different Durable Object"). */
export const exactClock: Clock = {
  now: () => Date.now(),
  schedule: scheduleExact,
};

export const randomIds: Ids = { random: () => randomToken() };
