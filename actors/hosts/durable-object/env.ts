/** Bindings the Durable Object classes use (a subset of the Worker's Env, edge/cloudflare/env.ts). */
export interface DoEnv {
  CONVERSATION: DurableObjectNamespace;
  INBOX: DurableObjectNamespace;
  DIRECTORY: DurableObjectNamespace;
  /** Optional JSON object overriding protocol limits (validated by LimitsSchema). */
  LIMITS?: string;
}
