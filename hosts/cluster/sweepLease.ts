/**
 * Which node of a region runs the attachment sweep (hosts/bun/attachmentSweep.ts): the first to
 * set the region's sweep key in Redis (SET NX) for most of one interval. Redis is the region's own,
 * so one node per region sweeps the rows of its region's libSQL primary each interval; a node that
 * dies leaves the key to expire and another node sweeps the next time. The key is not released after
 * a run: the other nodes' timers fire within the same interval and must find it taken.
 */
import type { Redis } from "ioredis";

export function sweepLease(redis: Redis, key: string, nodeId: string, intervalMs: number): () => Promise<boolean> {
  // A little shorter than the interval, so the holder's next turn finds it free again.
  const holdMs = Math.max(1, Math.floor(intervalMs * 0.9));
  return async () => {
    try {
      return (await redis.set(key, nodeId, "PX", holdMs, "NX")) === "OK";
    } catch (e) {
      console.warn(`[cluster] attachment sweep skipped: no lease (${(e as Error).message})`);
      return false;
    }
  };
}
