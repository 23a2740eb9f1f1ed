/**
 * ActorsClient over Durable Object RPC: `conversation(id)` and `inbox(userId)` return stubs whose
 * methods run in the owning object. Errors cross RPC as plain Errors carrying the NexusError's name,
 * code and details (workerd keeps own properties); they are rebuilt into NexusError here so the edge's
 * error handler sees exactly what an in-process actor would have thrown.
 */
import { NexusError, isNexusError } from "../../protocol/index.ts";
import type { ActorsClient, ConversationApi, InboxApi } from "../../actors/api.ts";
import { conversationRpc, inboxRpc } from "./stubs.ts";
import type { Env } from "./env.ts";

export function rethrowRemote(e: unknown): never {
  if (isNexusError(e) && !(e instanceof NexusError)) {
    const r = e as unknown as NexusError;
    throw new NexusError(r.code, r.message, r.details);
  }
  throw e;
}

/** Wrap every method of an RPC stub so remote NexusErrors become local ones. */
function localErrors<T extends object>(stub: T): T {
  return new Proxy(stub, {
    get(target, prop) {
      const v = Reflect.get(target, prop);
      if (typeof v !== "function" || typeof prop !== "string") return v;
      // Reflect.apply, not v.apply: on an RPC stub `.apply` is itself a remote property.
      return (...args: unknown[]) => (Reflect.apply(v, target, args) as Promise<unknown>).catch(rethrowRemote);
    },
  });
}

export class DoActorsClient implements ActorsClient {
  constructor(private readonly env: Env) {}

  conversation(id: string): ConversationApi {
    return localErrors(conversationRpc(this.env, id));
  }

  inbox(userId: string): InboxApi {
    return localErrors(inboxRpc(this.env, userId));
  }
}
