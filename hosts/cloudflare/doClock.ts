/**
 * Clock and ids for actors inside a Durable Object: one setTimeout per timer (exactClock), never the
 * Bun host's shared wake-ups, whose slots would run one object's callback from another object's
 * timer (workerd refuses that I/O). Its timers only live while the object is awake, and a pending
 * timer keeps it from hibernating, which is right for the short timers actors use (typing
 * indicators, write-behind).
 */
export { exactClock as doClock, randomIds as doIds } from "../../actors/timerClock.ts";
