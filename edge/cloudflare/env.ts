/** The Worker's bindings (wrangler.toml): Durable Objects, the R2 bucket, vars and the JWT secret. */
import type { DoEnv } from "../../actors/hosts/durable-object/env.ts";

export interface Env extends DoEnv {
  /** R2 bucket for attachment bytes. */
  ATTACHMENTS: R2Bucket;
  /** Secret (`wrangler secret put JWT_SECRET`), at least 32 characters. */
  JWT_SECRET?: string;
}

export { stringVars } from "../../actors/hosts/durable-object/env.ts";
