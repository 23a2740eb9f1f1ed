/** `wrangler deploy --dry-run` bundles the real Worker offline with every binding of wrangler.toml. */
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildWithConfig, ROOT, type Built } from "./harness.ts";

let built: Built | undefined;
afterAll(() => built?.cleanup());

test("wrangler deploy --dry-run builds hosts/cloudflare/worker.ts with DOs, R2 and vars", async () => {
  // Its own build (not the shared one in worker.ts, which other files in this process still use).
  built = await buildWithConfig(join(ROOT, "wrangler.toml"));
  for (const binding of ["env.CONVERSATION (ConversationDO)", "env.INBOX (InboxDO)", "env.DIRECTORY (DirectoryDO)", "env.RATE_LIMIT (RateLimitDO)", "env.ATTACHMENTS (nexus-attachments)"])
    expect(built.log).toContain(binding);
  // JWT_SECRET is a secret, never a var in the bundle's config.
  expect(built.log).not.toContain("JWT_SECRET");
  const js = readFileSync(built.script, "utf8");
  for (const cls of ["ConversationDO", "InboxDO", "DirectoryDO", "RateLimitDO"]) expect(js).toMatch(new RegExp(`export\\s*\\{[^}]*\\b${cls}\\b`));
});
