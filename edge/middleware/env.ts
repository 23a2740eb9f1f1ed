/** Hono environment of the edge app: what middleware puts on the context for handlers. */
import type { Principal } from "../auth/tokens.ts";

export type AppEnv = {
  Variables: {
    /** Set by requireUser (edge/middleware/auth.ts) on every authenticated route. */
    user: Principal;
  };
};
