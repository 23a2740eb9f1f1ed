/**
 * Clock and ids for actors inside a Durable Object: the shared timer clock. Its timers only live
 * while the object is awake, and a pending timer keeps it from hibernating, which is right for the
 * short timers actors use (typing indicators, write-behind).
 */
export { timerClock as doClock, randomIds as doIds } from "../../actors/timerClock.ts";
