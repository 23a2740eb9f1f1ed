/**
 * RateLimiter (edge/host.ts) whose buckets live in RateLimitDO objects, shared by all isolates.
 * Keys are the edge's (`rest:u:<userId>`, `<bucket>:ip:<address>`); a per-user key's object is
 * created at that user's home.
 */
import type { RateLimiter } from "../../edge/host.ts";
import { rateLimitRpc } from "./stubs.ts";
import type { DoEnv } from "./doEnv.ts";

const USER_KEY = /:u:(.+)$/;

export class DoRateLimiter implements RateLimiter {
  constructor(private readonly env: DoEnv) {}

  take(key: string, perMinute: number): Promise<boolean> {
    return rateLimitRpc(this.env, key, USER_KEY.exec(key)?.[1]).take(perMinute);
  }
}
