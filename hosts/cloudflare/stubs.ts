/**
 * Stubs for Nexus's Durable Objects, named the one way: conversation = idFromName(conversationId),
 * inbox = idFromName(userId), directory = idFromName("directory"). Used by the Worker and by DOs
 * (the mesh), so placement is decided identically for both (hosts/cloudflare/placement.ts).
 */
import { locationHint, type PlacementOrigin } from "./placement.ts";
import type { ConversationRpc, DirectoryRpc, InboxRpc } from "./doRpc.ts";

interface Namespaces {
  CONVERSATION: DurableObjectNamespace;
  INBOX: DurableObjectNamespace;
  DIRECTORY: DurableObjectNamespace;
}

export const DIRECTORY_NAME = "directory";

function get(ns: DurableObjectNamespace, kind: "conversation" | "inbox" | "directory", name: string, origin?: PlacementOrigin) {
  const hint = locationHint(kind, name, origin);
  return ns.get(ns.idFromName(name), hint ? { locationHint: hint } : undefined);
}

/** The raw stub (for `fetch`, i.e. socket upgrades) and its RPC view. */
export function conversationStub(env: Namespaces, id: string, origin?: PlacementOrigin) {
  return get(env.CONVERSATION, "conversation", id, origin);
}
export function inboxStub(env: Namespaces, userId: string, origin?: PlacementOrigin) {
  return get(env.INBOX, "inbox", userId, origin);
}

export const conversationRpc = (env: Namespaces, id: string, origin?: PlacementOrigin) =>
  conversationStub(env, id, origin) as unknown as ConversationRpc;
export const inboxRpc = (env: Namespaces, userId: string, origin?: PlacementOrigin) =>
  inboxStub(env, userId, origin) as unknown as InboxRpc;
export const directoryRpc = (env: Namespaces) =>
  get(env.DIRECTORY, "directory", DIRECTORY_NAME) as unknown as DirectoryRpc;
