import { type Accessor, createSignal } from "solid-js";

/**
 * "Now", ticking every 20 s, for relative times ("last seen 5 min ago"). Every place that shows
 * one reads this same clock, so the list and the header never disagree about the same person.
 */
let now: Accessor<number> | null = null;

export function relativeNow(): number {
  if (!now) {
    const [get, set] = createSignal(Date.now());
    setInterval(() => set(Date.now()), 20_000);
    now = get;
  }
  return now();
}
