/**
 * A caller-side view of an actor in another process: one function per method of REMOTE_METHODS,
 * each handing its name and arguments to `call` (cluster RPC over NATS). The method list is the
 * one the compiler derives from the API types, so a stub cannot miss or invent a method.
 */
import { REMOTE_METHODS, type ActorKind, type RemoteApi } from "./api.ts";

export function remoteStub<K extends ActorKind>(kind: K, call: (method: string, args: unknown[]) => Promise<unknown>): RemoteApi[K] {
  const stub: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of Object.keys(REMOTE_METHODS[kind])) stub[method] = (...args) => call(method, args);
  return stub as unknown as RemoteApi[K];
}
