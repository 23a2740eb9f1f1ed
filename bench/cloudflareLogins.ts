/**
 * Logins/s (and refreshes/s) of the real Worker in workerd with accounts in 1 directory object vs
 * many (NEXUS_DIRECTORY_SHARDS). Repeatable:
 *
 *   node_modules/.bin/bun bench/cloudflareLogins.ts [--shards 1,16] [--users 64] [--concurrency 32] [--seconds 10]
 *
 * Each run: a fresh workerd (Miniflare, in-memory storage) with the wrangler.toml build, `users`
 * accounts registered, then `concurrency` clients log in (or rotate a refresh token) in a closed
 * loop for `seconds`. Requests come from 256 client addresses in turn, so per-IP limit objects do
 * not become the singleton under test; limits are raised so that none refuses.
 * Local caveat: workerd runs the Worker and every object on this machine's cores, so a login's
 * scrypt (in the Worker) competes with the directory objects for the same CPU; on Cloudflare the
 * objects are spread over machines. The figures show what one directory object costs here.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { buildWithConfig, NEXUS_OBJECTS, run, ROOT } from "../tests/cloudflare/harness.ts";

const { values } = parseArgs({
  options: {
    shards: { type: "string", default: "1,16" },
    users: { type: "string", default: "64" },
    concurrency: { type: "string", default: "32" },
    seconds: { type: "string", default: "10" },
  },
});
const USERS = Number(values.users);
const CONCURRENCY = Number(values.concurrency);
const SECONDS = Number(values.seconds);
const PASSWORD = "bench-password-不-0123";

// 256 client addresses in turn: per-IP limit objects are many and warm, as with real clients.
let ipSeq = 0;
// connection: close — workerd may close a kept-alive connection that Bun's pool then reuses (ECONNRESET).
const headers = () => ({ "content-type": "application/json", connection: "close", "cf-connecting-ip": `10.0.0.${++ipSeq % 256}` });

async function closedLoop(work: (i: number) => Promise<boolean>): Promise<{ perSecond: number; failed: number }> {
  const end = performance.now() + SECONDS * 1000;
  let ok = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, c) => {
      for (let i = c; performance.now() < end; i += CONCURRENCY) (await work(i).catch(() => false)) ? ok++ : failed++;
    }),
  );
  return { perSecond: ok / SECONDS, failed };
}

async function measure(shards: number, built: Awaited<ReturnType<typeof buildWithConfig>>) {
  const r = await run(built, {
    ...NEXUS_OBJECTS,
    bindings: {
      JWT_SECRET: "bench-secret-for-local-workerd-only-0123456789",
      TRUSTED_IP_HEADER: "cf-connecting-ip",
      AUTH_RATE_LIMIT_PER_MINUTE: "1000000",
      RATE_LIMIT_PER_MINUTE: "1000000",
      NEXUS_DIRECTORY_SHARDS: String(shards),
    },
  });
  try {
    const url = (p: string) => new URL(p, r.url).href;
    const names = Array.from({ length: USERS }, (_, i) => `bench${shards}x${i}`);
    const refresh: string[] = [];
    for (const username of names) {
      const res = await fetch(url("/v1/auth/register"), { method: "POST", headers: headers(), body: JSON.stringify({ username, password: PASSWORD }) });
      if (res.status !== 201) throw new Error(`register ${username}: ${res.status} ${await res.text()}`);
      refresh.push(((await res.json()) as { refreshToken: string }).refreshToken);
    }
    const logins = await closedLoop(async (i) => {
      const res = await fetch(url("/v1/auth/login"), { method: "POST", headers: headers(), body: JSON.stringify({ username: names[i % USERS], password: PASSWORD }) });
      await res.arrayBuffer();
      return res.status === 200;
    });
    // Each client rotates its own users' tokens (one token is spent per refresh).
    const refreshes = await closedLoop(async (i) => {
      const k = i % USERS;
      const res = await fetch(url("/v1/auth/refresh"), { method: "POST", headers: headers(), body: JSON.stringify({ refreshToken: refresh[k] }) });
      if (res.status !== 200) return (await res.arrayBuffer(), false);
      refresh[k] = ((await res.json()) as { refreshToken: string }).refreshToken;
      return true;
    });
    return { shards, logins, refreshes };
  } finally {
    await r.stop();
  }
}

const built = await buildWithConfig(join(ROOT, "wrangler.toml"));
try {
  console.log(`users ${USERS}, concurrency ${CONCURRENCY}, ${SECONDS} s per measure`);
  for (const shards of values.shards!.split(",").map(Number)) {
    const m = await measure(shards, built);
    console.log(
      `shards ${String(m.shards).padStart(3)}: logins/s ${m.logins.perSecond.toFixed(1)} (failed ${m.logins.failed}), refreshes/s ${m.refreshes.perSecond.toFixed(1)} (failed ${m.refreshes.failed})`,
    );
  }
} finally {
  built.cleanup();
}
