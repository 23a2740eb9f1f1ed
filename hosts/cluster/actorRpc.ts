/**
 * Actor operations across nodes: the edge (or another actor, through the mesh) asks the owning
 * node by NATS request/reply. Only the methods listed here can be called, with JSON arguments; the
 * actor checks the Caller exactly as it does for an in-process call. A NexusError crosses as
 * {code, message, details} and is rebuilt, so the edge answers as a single node would.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { isNexusError, NexusError } from "../../protocol/index.ts";
import { REMOTE_METHODS, type ActorKind } from "../../actors/api.ts";

/** The most arguments a remote caller may pass to `kind.method`, or undefined when it may not call
 *  it: the table is actors/api.ts's REMOTE_METHODS, which the compiler derives from the API types
 *  (in-process the actors' methods take more, e.g. `send`'s socket, which never crosses). */
function arityOf(kind: string, method: string): number | undefined {
  const table = Object.hasOwn(REMOTE_METHODS, kind) ? (REMOTE_METHODS[kind as ActorKind] as Record<string, number>) : undefined;
  return table && Object.hasOwn(table, method) ? table[method] : undefined;
}

export interface RpcRequest {
  k: ActorKind;
  id: string;
  m: string;
  a: unknown[];
}

type RpcReply = { v?: unknown; e?: { code: string; message: string; details?: Record<string, unknown> }; moved?: true };

/** This node no longer owns the actor: the caller must look the owner up again. */
export class MovedError extends Error {
  constructor() {
    super("actor moved");
  }
}

export function serveRpc(
  nc: NatsConnection,
  subject: string,
  /** Returns the local actor, or null when this node does not own it (the caller re-resolves). */
  local: (kind: ActorKind, id: string) => Record<string, unknown> | null,
): Subscription {
  return nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) return;
      void (async (): Promise<RpcReply> => {
        let req: RpcRequest;
        try {
          req = msg.json<RpcRequest>();
        } catch {
          return { e: { code: "bad_request", message: "malformed rpc" } };
        }
        const arity = arityOf(req.k, req.m);
        if (arity === undefined || !Array.isArray(req.a) || req.a.length > arity) return { e: { code: "bad_request", message: `not callable: ${req.k}.${req.m}` } };
        const actor = local(req.k, req.id);
        if (!actor) return { moved: true };
        try {
          const v = await (actor[req.m] as (...a: unknown[]) => unknown).apply(actor, req.a);
          return { v: v ?? null };
        } catch (e) {
          if (isNexusError(e)) return { e: { code: e.code, message: e.message, details: e.details } };
          console.error(`[cluster] rpc ${req.k}.${req.m} failed`, e);
          return { e: { code: "internal", message: "internal error" } };
        }
      })().then((reply) => {
        if (!msg.reply) return;
        let text = JSON.stringify(reply);
        // A reply over the bus's max_payload would be refused and the caller would wait for its
        // timeout; say why at once instead (infra/nats sets max_payload to fit the largest page).
        const max = nc.info?.max_payload ?? 1024 * 1024;
        if (text.length * 3 > max && Buffer.byteLength(text) > max - 512)
          text = JSON.stringify({ e: { code: "unavailable", message: `the answer is larger than the bus allows (max_payload ${max} bytes)` } });
        msg.respond(text);
      });
    },
  });
}

export async function callRpc(nc: NatsConnection, subject: string, req: RpcRequest, timeoutMs: number): Promise<unknown> {
  const res = await nc.request(subject, JSON.stringify(req), { timeout: timeoutMs });
  const reply = res.json<RpcReply>();
  if (reply.moved) throw new MovedError();
  if (reply.e) throw new NexusError(reply.e.code as NexusError["code"], reply.e.message, reply.e.details);
  return reply.v;
}
