/**
 * Authentication gates. `requireUser` turns `Authorization: Bearer <access token>` into
 * `c.var.user` (a Principal) or answers 401; `requireAdmin` additionally needs role admin (403).
 * requireUser is idempotent: app.ts already runs it for every /v1 route except auth and sockets,
 * so routes may add it again for clarity at no cost.
 */
import type { MiddlewareHandler } from "hono";
import { NexusError } from "../../protocol/errors.ts";
import type { Host } from "../host.ts";
import type { AppEnv } from "./env.ts";

export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m ? m[1]! : null;
}

export function requireUser(deps: Pick<Host, "accounts">): MiddlewareHandler<AppEnv> {
  return async function requireUser(c, next) {
    if (!c.get("user")) {
      const token = bearerToken(c.req.header("authorization"));
      if (!token) throw new NexusError("unauthorized", "missing bearer access token");
      c.set("user", await deps.accounts.verifyAccess(token));
    }
    await next();
  };
}

export const requireAdmin: MiddlewareHandler<AppEnv> = async function requireAdmin(c, next) {
  const user = c.get("user");
  if (!user) throw new NexusError("unauthorized", "missing bearer access token");
  if (user.role !== "admin") throw new NexusError("forbidden", "admin role required");
  await next();
};
