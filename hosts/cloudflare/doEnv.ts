/** Bindings the Durable Object classes use (a subset of the Worker's Env, hosts/cloudflare/env.ts). */
import { loadConfig } from "../../edge/config.ts";
import type { Limits } from "../../protocol/index.ts";
import { WebPushSender } from "../../edge/push/webPushSender.ts";

export interface DoEnv {
  CONVERSATION: DurableObjectNamespace;
  INBOX: DurableObjectNamespace;
  DIRECTORY: DurableObjectNamespace;
  /** One object per rate-limit key (RateLimitDO). */
  RATE_LIMIT: DurableObjectNamespace;
  /** [vars] from wrangler.toml (NEXUS_MAX_TEXT_LENGTH, …) and secrets; read through stringVars. */
  [variable: string]: unknown;
}

/** The string-valued entries of a Worker env (vars and secrets), i.e. what loadConfig reads. */
export function stringVars(env: object): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === "string") out[k] = v;
  return out;
}

/** Limits for actors, from the same NEXUS_* variables the edge validates (one source of truth). */
export function limitsFrom(env: object): Limits {
  return loadConfig(stringVars(env)).limits;
}

/** Web Push for inboxes when the VAPID key pair is set (`wrangler secret put VAPID_PUBLIC_KEY` and
 *  `VAPID_PRIVATE_KEY`; docs/operations.md "Web Push"); otherwise none. */
export function pushSenderFrom(env: object): WebPushSender | undefined {
  const { vapid } = loadConfig(stringVars(env));
  if (!vapid.publicKey || !vapid.privateKey) return undefined;
  return new WebPushSender({ publicKey: vapid.publicKey, privateKey: vapid.privateKey }, vapid.subject);
}
