/**
 * Durable Object RPC methods that forward to the hosted actor, one per REMOTE_METHODS entry of the
 * kind (actors/api.ts, derived from the API types), defined on the class's prototype: workerd's RPC
 * calls them like methods written in the class. So the actor API is written once, not again here.
 * The actor checks the caller on every call, exactly as in-process.
 */
import { REMOTE_METHODS, type ActorKind } from "../../actors/api.ts";
import type { ActorHost, HostedActor } from "./actorHost.ts";

type ObjectHost = ActorHost<HostedActor>;
type Methods = Record<string, (...args: unknown[]) => unknown>;

/** What an object does after a forwarded call succeeded, by method (e.g. set an alarm). */
export type AfterCall<H> = Partial<Record<string, (host: H, result: unknown) => Promise<void> | void>>;

export function forwardToActor<H extends ObjectHost>(cls: abstract new (...args: never[]) => H, kind: ActorKind, after: AfterCall<H> = {}): void {
  for (const method of Object.keys(REMOTE_METHODS[kind])) {
    const then = after[method];
    Object.defineProperty(cls.prototype, method, {
      configurable: true,
      writable: true,
      // `actor()` is protected: RPC callers reach the actor only through these methods.
      value: async function (this: H, ...args: unknown[]) {
        const actor = (await (this as unknown as { actor(): Promise<HostedActor> }).actor()) as unknown as Methods;
        const result = await actor[method]!(...args);
        if (then) await then(this, result);
        return result;
      },
    });
  }
}
