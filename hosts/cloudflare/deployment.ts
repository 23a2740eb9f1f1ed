/**
 * Cloudflare-only settings (vars in wrangler.toml), validated with zod like edge/config.ts:
 *  - NEXUS_JURISDICTION: `eu`, `fedramp` or `fedramp-high`. Every Durable Object namespace is then
 *    restricted to that jurisdiction (stubs.ts), so every object (conversations, inboxes, account shards, rate
 *    limits) is created and kept in that jurisdiction. Unset: no jurisdiction, as before.
 *  - NEXUS_DIRECTORY_SHARDS: how many DirectoryDO objects hold accounts (1-256, default 1). Fixed
 *    for the life of a deployment: usernames hash to a shard (edge/auth/shardedAccounts.ts).
 * Read by the Worker and by every object (the mesh builds stubs too), once per env object.
 */
import { z } from "zod";
import { MAX_SHARDS } from "../../edge/auth/shardedAccounts.ts";

export const JURISDICTIONS = ["eu", "fedramp", "fedramp-high"] as const;
export type Jurisdiction = (typeof JURISDICTIONS)[number];

const Schema = z.object({
  // An empty var counts as unset.
  NEXUS_JURISDICTION: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z.enum(JURISDICTIONS, { error: `must be one of ${JURISDICTIONS.join(", ")} (or unset)` }).optional(),
  ),
  NEXUS_DIRECTORY_SHARDS: z.coerce
    .number({ error: "must be a whole number" })
    .int()
    .min(1)
    .max(MAX_SHARDS, `at most ${MAX_SHARDS}`)
    .default(1),
});

export interface Deployment {
  jurisdiction: Jurisdiction | undefined;
  directoryShards: number;
}

const cache = new WeakMap<object, Deployment>();

/** Throws an Error naming the variable when a value is invalid. */
export function deploymentOf(env: object): Deployment {
  let d = cache.get(env);
  if (d) return d;
  const vars = env as Record<string, unknown>;
  const r = Schema.safeParse({ NEXUS_JURISDICTION: vars.NEXUS_JURISDICTION, NEXUS_DIRECTORY_SHARDS: vars.NEXUS_DIRECTORY_SHARDS });
  if (!r.success) throw new Error(r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  d = { jurisdiction: r.data.NEXUS_JURISDICTION, directoryShards: r.data.NEXUS_DIRECTORY_SHARDS };
  cache.set(env, d);
  return d;
}
