/**
 * The real Nexus Worker twice in one workerd (Miniflare `workers`): isolates "a" and "b" run the same
 * bundle, and b's Durable Object bindings point at a's classes (`scriptName: "a"`), so both isolates
 * reach the same objects, as two isolates of one deployment do on Cloudflare. Requests go to one
 * isolate or the other through `fetch(which, …)`.
 */
import { Miniflare, type WorkerOptions } from "miniflare";
import { join } from "node:path";
import { buildWithConfig, COMPATIBILITY_DATE, COMPATIBILITY_FLAGS, ROOT, type Built } from "./harness.ts";
import { TEST_JWT_SECRET } from "./worker.ts";

const CLASSES = { CONVERSATION: "ConversationDO", INBOX: "InboxDO", DIRECTORY: "DirectoryDO", RATE_LIMIT: "RateLimitDO" } as const;

export interface TwoIsolates {
  fetch(which: "a" | "b", path: string, init?: RequestInit): Promise<Response>;
  /** Over HTTP to isolate "a" with a given `request.cf`: workerd's entry socket reads it from the
   *  MF-CF-Blob header (Miniflare's dispatchFetch cf needs undici dispatchers, which Bun ignores). */
  fetchWithCf(path: string, init: RequestInit, cf: Record<string, unknown>): Promise<Response>;
  stop(): Promise<void>;
}

export async function startTwoIsolates(vars: Record<string, string>): Promise<TwoIsolates> {
  const built: Built = await buildWithConfig(join(ROOT, "wrangler.toml"));
  const worker = (name: "a" | "b"): WorkerOptions =>
    ({
      name,
      compatibilityDate: COMPATIBILITY_DATE,
      compatibilityFlags: COMPATIBILITY_FLAGS,
      modules: [{ type: "ESModule", path: built.script }],
      modulesRoot: built.dir,
      durableObjects: Object.fromEntries(
        Object.entries(CLASSES).map(([binding, className]) => [binding, { className, useSQLite: true, ...(name === "b" ? { scriptName: "a" } : {}) }]),
      ),
      r2Buckets: { ATTACHMENTS: "nexus-attachments" },
      bindings: { JWT_SECRET: TEST_JWT_SECRET, TRUSTED_IP_HEADER: "cf-connecting-ip", ...vars },
    }) as WorkerOptions;
  const mf = new Miniflare({ host: "127.0.0.1", port: 0, workers: [worker("a"), worker("b")] });
  const url = await mf.ready;
  const isolates = { a: await mf.getWorker("a"), b: await mf.getWorker("b") };
  return {
    // A refused request (429 before its body is read) makes workerd close the connection; a fresh one
    // per request keeps Bun from reusing it (ECONNRESET).
    fetch: (which, path, init) =>
      isolates[which].fetch(new URL(path, "http://nexus.test").href, {
        ...(init as any),
        headers: { ...(init?.headers as Record<string, string>), connection: "close" },
      }) as unknown as Promise<Response>,
    fetchWithCf: (path, init, cf) => fetch(new URL(path, url), { ...init, headers: { ...(init.headers as Record<string, string>), "MF-CF-Blob": JSON.stringify(cf) } }),
    async stop() {
      await mf.dispose();
      built.cleanup();
    },
  };
}

export const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});
