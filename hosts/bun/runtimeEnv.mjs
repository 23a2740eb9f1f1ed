/**
 * Environment a long-running Bun process of Nexus starts with (npm start, the bench, the Bun-host
 * test target). Plain .mjs so that Node (scripts/start.mjs) and Bun can both import it. A value the
 * caller already set wins.
 *
 * MIMALLOC_PURGE_DELAY=-1: Bun's allocator (mimalloc) normally hands freed pages back to the kernel
 * after a short delay, and allocates them again moments later under steady load. On this 2-core VM
 * that churn (madvise, page faults, TLB flushes, two helper threads) cost 15-20% of the server's CPU
 * at 127k deliveries/s: server 95-98% -> 76-86% of a core over four alternating runs (bench
 * README). Freed memory is still reused inside the process; RSS stays at its high-water mark
 * instead of shrinking (202 vs 190 MB after that run).
 * The read happens once, when the process starts, so it cannot be set from inside the server.
 */
export const bunRuntimeEnv = Object.freeze({ MIMALLOC_PURGE_DELAY: "-1" });

/** `env` with the runtime defaults filled in where it leaves them unset. */
export function withBunRuntimeEnv(env) {
  const out = { ...env };
  for (const [k, v] of Object.entries(bunRuntimeEnv)) if (out[k] === undefined) out[k] = v;
  return out;
}
