/**
 * ActorsClient over Durable Object RPC: `conversation(id)` and `inbox(userId)` return stubs whose
 * methods run in the owning object. Errors cross RPC as plain Errors carrying the NexusError's name,
 * code and details (workerd keeps own properties); they are rebuilt into NexusError here so the edge's
 * error handler sees exactly what an in-process actor would have thrown.
 */
import { NexusError, isNexusError } from "../../protocol/index.ts";
import type { ActorsClient, ConversationApi, CreateConversation, InboxApi } from "../../actors/api.ts";
import type { Caller } from "../../actors/ports.ts";
import { conversationRpc, homeOfUser, inboxRpc } from "./stubs.ts";
import { majorityHome, type LocationHint } from "./placement.ts";
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

/**
 * Where a new conversation's object goes (hosts/cloudflare/placement.ts): a direct chat at its
 * creator's home, a group at its members' majority home (tie: the creator's). Homes are read from
 * user ids, so no lookup is needed.
 */
export function conversationHint(caller: Caller, init: CreateConversation): LocationHint | undefined {
  const creator = homeOfUser(caller.userId);
  if (init.type === "direct") return creator;
  return majorityHome(creator, init.members.map((m) => homeOfUser(m.userId)));
}

export class DoActorsClient implements ActorsClient {
  constructor(private readonly env: Env) {}

  /**
   * Only `create` can bring a conversation into being, so only its stub carries a hint; every other
   * call reaches an existing object (or probes an id, which stores nothing) and gets none.
   */
  conversation(id: string): ConversationApi {
    // The stub is made when a method is picked, so `create` never follows a hintless get.
    return new Proxy({} as ConversationApi, {
      get: (_target, prop) =>
        prop === "create"
          ? (caller: Caller, init: CreateConversation) =>
              localErrors(conversationRpc(this.env, id, conversationHint(caller, init))).create(caller, init)
          : Reflect.get(localErrors(conversationRpc(this.env, id)), prop),
    });
  }

  inbox(userId: string): InboxApi {
    return localErrors(inboxRpc(this.env, userId));
  }
}
