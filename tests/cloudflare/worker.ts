/**
 * The real Nexus Worker (wrangler.toml at the top level) in workerd, as a conformance Target:
 * built once per test process with `wrangler deploy --dry-run`, run by Miniflare on a free loopback
 * port with the same bindings as wrangler.toml (DOs, R2, vars) plus JWT_SECRET as a plain binding.
 *
 * restart(): Miniflare's dispose() SIGKILLs workerd, so dispose + start on the same persisted
 * storage directory is a real crash and recovery of every Durable Object.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Target } from "../conformance/target.ts";
import { buildWithConfig, NEXUS_OBJECTS, run, ROOT, type Built, type Running } from "./harness.ts";

let building: Promise<Built> | null = null;

let users = 0;

/** One build (≈1 s) shared by the targets running at once; removed when the last one stops. */
async function acquireBuild(): Promise<Built> {
  users++;
  building ??= buildWithConfig(join(ROOT, "wrangler.toml"));
  try {
    return await building;
  } catch (e) {
    users--;
    building = null;
    throw e;
  }
}

async function releaseBuild(): Promise<void> {
  if (--users > 0 || !building) return;
  const b = building;
  building = null;
  (await b).cleanup();
}

/** Top-level [vars] of wrangler.toml, so local runs see what a deployment sees. */
async function wranglerVars(): Promise<Record<string, string>> {
  const text = await Bun.file(join(ROOT, "wrangler.toml")).text();
  const vars = (Bun.TOML.parse(text) as { vars?: Record<string, unknown> }).vars ?? {};
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, String(v)]));
}

export const TEST_JWT_SECRET = "test-secret-for-local-workerd-only-0123456789";
/** A VAPID pair for local workerd only, as the two secrets a deployment sets (docs/operations.md). */
const TEST_VAPID = {
  VAPID_PUBLIC_KEY: "BL7iW5w2pAtPV5iefKKrq8v6a-wHhV1EXIBPTVYR0VgliY35QHubTSrWtTnSnW0qbC4VPq_Xu3meX7aLD8--MtI",
  VAPID_PRIVATE_KEY: "OeM9wYQzZKEukwAKri-TbUzWx3KZjS44MPI_1BrSpjg",
};

export interface WorkerTarget extends Target {
  running(): Running;
  restart(): Promise<void>;
}

/**
 * Start Nexus in workerd. `env` overrides vars (e.g. NEXUS_REPLAY_CAP). Auth rate limits are raised
 * because every test client shares one IP; a test that checks them sets them back.
 */
export async function startNexusWorker(env: Record<string, string> = {}): Promise<WorkerTarget> {
  const built = await acquireBuild();
  const persist = mkdtempSync(join(tmpdir(), "nexus-cf-data-"));
  const bindings = {
    ...(await wranglerVars()),
    AUTH_RATE_LIMIT_PER_MINUTE: "100000",
    RATE_LIMIT_PER_MINUTE: "100000",
    JWT_SECRET: TEST_JWT_SECRET,
    ...TEST_VAPID,
    ...env,
  };
  // A test's own https server (tests/support/pushEndpoint.ts) has a self-signed certificate that
  // workerd does not know: the Worker's outgoing requests go through this process, which trusts it.
  const ca = env.NODE_EXTRA_CA_CERTS ? readFileSync(env.NODE_EXTRA_CA_CERTS) : undefined;
  const outbound = ca ? { outboundService: (req: Request) => fetch(req, { tls: { ca } } as RequestInit) } : {};
  const start = () =>
    run(built, {
      ...NEXUS_OBJECTS,
      ...outbound,
      bindings,
      durableObjectsPersist: join(persist, "do"),
      r2Persist: join(persist, "r2"),
    });
  let current = await start();
  const target: WorkerTarget = {
    url: current.url.origin,
    running: () => current,
    async stop() {
      await current.stop();
      rmSync(persist, { recursive: true, force: true });
      await releaseBuild();
    },
    async blobKeys(prefix) {
      const bucket = await current.mf.getR2Bucket("ATTACHMENTS");
      const keys: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await bucket.list({ prefix, cursor });
        keys.push(...page.objects.map((o) => o.key));
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
      return keys;
    },
    async restart() {
      await current.stop(); // SIGKILL of workerd
      current = await start();
      target.url = current.url.origin;
    },
  };
  return target;
}
