/**
 * wrangler.toml's environments build: `wrangler deploy --dry-run --env <each>` bundles the Worker
 * with that environment's own Worker name, bucket, vars and every Durable Object binding (wrangler
 * does not inherit bindings or vars into an environment, so a forgotten one would show here).
 */
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { buildWithConfig, ROOT, type Built } from "./harness.ts";

const builds: Built[] = [];
afterAll(() => builds.forEach((b) => b.cleanup()));

const toml = Bun.TOML.parse(await Bun.file(join(ROOT, "wrangler.toml")).text()) as any;

test.each([
  ["staging", "nexus-attachments-staging"],
  ["production", "nexus-attachments-production"],
])("--env %s builds with its own name, bucket, vars and all four Durable Object bindings", async (env, bucket) => {
  const built = await buildWithConfig(join(ROOT, "wrangler.toml"), env);
  builds.push(built);
  const e = toml.env[env];
  expect(e.name).toBe(`nexus-${env}`);
  expect(built.log).toContain(`env.ATTACHMENTS (${bucket})`);
  for (const binding of ["env.CONVERSATION (ConversationDO)", "env.INBOX (InboxDO)", "env.DIRECTORY (DirectoryDO)", "env.RATE_LIMIT (RateLimitDO)"])
    expect(built.log).toContain(binding);
  // Every top-level var is set in the environment too (vars are not inherited), with its own shard count.
  for (const name of Object.keys(toml.vars)) expect(built.log).toContain(`env.${name} (`);
  expect(built.log).toContain(`env.NEXUS_DIRECTORY_SHARDS ("${e.vars.NEXUS_DIRECTORY_SHARDS}")`);
  expect(built.log).not.toContain("JWT_SECRET");
  expect(built.log).not.toMatch(/warning/i);
}, 60_000);
