/** The actor Caller for the authenticated user of a request. */
import type { Context } from "hono";
import type { Caller } from "../../actors/ports.ts";
import type { AppEnv } from "../middleware/env.ts";

export function callerOf(c: Context<AppEnv>): Caller {
  const u = c.get("user");
  return { userId: u.userId, admin: u.role === "admin" };
}
