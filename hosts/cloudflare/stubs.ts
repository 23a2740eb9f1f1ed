/**
 * Every Durable Object stub Nexus uses comes from here (the Worker's and the objects' alike), so two
 * decisions are made in one place for every path that can create an object:
 *  - the namespace: restricted to NEXUS_JURISDICTION when set (hosts/cloudflare/deployment.ts);
 *  - the location hint (hosts/cloudflare/placement.ts): an inbox at its user's home (read from the
 *    user id), a conversation where its creator says (actorsClient.ts, on create), a per-user rate
 *    limit at the user's home; account shards and per-IP limits get none (created near their first
 *    caller).
 * Names: conversation = idFromName(conversationId), inbox = idFromName(userId), account shard i =
 * "directory" (i = 0, the single directory of earlier versions) or "directory-<i>", rate limit =
 * idFromName(key).
 */
import { parseUserId } from "../../edge/auth/shardedAccounts.ts";
import { deploymentOf } from "./deployment.ts";
import { isLocationHint, type LocationHint } from "./placement.ts";
import type { ConversationRpc, DirectoryRpc, InboxRpc } from "./doRpc.ts";
import type { RateLimitRpc } from "./rateLimitRpc.ts";

interface Namespaces {
  CONVERSATION: DurableObjectNamespace;
  INBOX: DurableObjectNamespace;
  DIRECTORY: DurableObjectNamespace;
  RATE_LIMIT?: DurableObjectNamespace;
}

export const DIRECTORY_NAME = "directory";

/** The namespace to use: the binding, or its jurisdiction-restricted view. */
export function namespace(env: Namespaces, binding: keyof Namespaces): DurableObjectNamespace {
  const ns = env[binding];
  if (!ns) throw new Error(`the ${binding} Durable Object binding is missing (wrangler.toml)`);
  const j = deploymentOf(env).jurisdiction;
  return j ? ns.jurisdiction(j) : ns;
}

function get(env: Namespaces, binding: keyof Namespaces, name: string, hint: LocationHint | undefined) {
  const ns = namespace(env, binding);
  return ns.get(ns.idFromName(name), hint ? { locationHint: hint } : undefined);
}

/** The home written into a user id at sign-up, if it is a valid hint. */
export function homeOfUser(userId: string): LocationHint | undefined {
  const home = parseUserId(userId).home;
  return isLocationHint(home) ? home : undefined;
}

/** `hint` only matters the first time (creation); existing objects ignore it. */
export function conversationStub(env: Namespaces, id: string, hint?: LocationHint) {
  return get(env, "CONVERSATION", id, hint);
}
export function inboxStub(env: Namespaces, userId: string) {
  return get(env, "INBOX", userId, homeOfUser(userId));
}

export const conversationRpc = (env: Namespaces, id: string, hint?: LocationHint) =>
  conversationStub(env, id, hint) as unknown as ConversationRpc;
export const inboxRpc = (env: Namespaces, userId: string) => inboxStub(env, userId) as unknown as InboxRpc;

export const directoryName = (shard: number) => (shard === 0 ? DIRECTORY_NAME : `${DIRECTORY_NAME}-${shard}`);
export const directoryRpc = (env: Namespaces, shard = 0) => get(env, "DIRECTORY", directoryName(shard), undefined) as unknown as DirectoryRpc;

/** `userId` when the key is one user's (placed at their home), none for per-IP keys. */
export const rateLimitRpc = (env: Namespaces, key: string, userId?: string) =>
  get(env, "RATE_LIMIT", key, userId ? homeOfUser(userId) : undefined) as unknown as RateLimitRpc;
