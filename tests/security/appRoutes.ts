/**
 * What the app actually serves, so the fuzz suite and the authorization matrix fail when a route or
 * frame type is added without being covered: the routes come from Hono's own table of the real
 * edge app (createApp, never started: its dependencies are stubs that are not called while routes
 * are registered), the frame types from the protocol's ClientFrame schemas.
 */
import { createApp } from "../../edge/app.ts";
import { loadConfig } from "../../edge/config.ts";
import type { Host } from "../../edge/host.ts";
import { ConversationClientFrame, InboxClientFrame } from "../../protocol/frames.ts";

/** A dependency that must not be touched while routes are only being listed. */
const notUsed = (what: string) =>
  new Proxy({}, { get: (_t, prop) => (prop === "then" ? undefined : () => { throw new Error(`${what}.${String(prop)} called while listing routes`); }) });

/** "METHOD /path/:param" of every route the edge app registers (middleware entries excluded). */
export function appRoutes(): string[] {
  const config = loadConfig({ DATA_DIR: "/nonexistent", JWT_SECRET: "route-listing-only-route-listing-only-0123" });
  const deps = { config, ...Object.fromEntries(["accounts", "actors", "sockets", "blobs", "limiter", "metrics"].map((k) => [k, notUsed(k)])), ready: async () => true } as Host;
  const app = createApp(deps);
  return [...new Set(app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`))].sort();
}

const typesOf = (union: { options: readonly { shape: { t: { value: string } } }[] }) => union.options.map((o) => o.shape.t.value);

/** `t` of every frame a client may send on a conversation socket. */
export const conversationFrameTypes = (): string[] => typesOf(ConversationClientFrame as any);
/** `t` of every frame a client may send on an inbox socket. */
export const inboxFrameTypes = (): string[] => typesOf(InboxClientFrame as any);
