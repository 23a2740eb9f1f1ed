/** The RPC surface of a RateLimitDO (one rate-limit key's token bucket), as callers see it. */
export interface RateLimitRpc {
  /** true when allowed; consumes one token of this key's bucket of `perMinute`. */
  take(perMinute: number): Promise<boolean>;
}
