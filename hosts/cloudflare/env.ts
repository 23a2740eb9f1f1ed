/** The Worker's bindings (wrangler.toml): Durable Objects, the R2 bucket, vars and the JWT secret. */
import type { DoEnv } from "./doEnv.ts";

export interface Env extends DoEnv {
  /** R2 bucket for attachment bytes. */
  ATTACHMENTS: R2Bucket;
  /** Secret (`wrangler secret put JWT_SECRET`), at least 32 characters. */
  JWT_SECRET?: string;
}

export { stringVars } from "./doEnv.ts";
