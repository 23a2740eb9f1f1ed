/**
 * WebSockets on Bun: the edge verifies the ticket, then `server.upgrade` attaches the socket to the
 * in-process actor. Frames that arrive before the actor finished its welcome wait for it, in order.
 */
import type { Context } from "hono";
import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import { CloseCodes, NexusError, type Limits } from "../../protocol/index.ts";
import type { ActorKind } from "../../actors/api.ts";
import { AttachedSocket } from "../../actors/attachedSocket.ts";
import type { Connection, Resume } from "../../actors/ports.ts";
import type { SocketRouter } from "../../edge/host.ts";
import type { BunActorSystem } from "./BunActorSystem.ts";

export interface SocketData {
  kind: ActorKind;
  id: string;
  userId: string;
  /** The sign-in session of the ticket that opened it (Connection.session). */
  session?: string;
  resume: Resume;
  attached?: AttachedSocket;
}

let nextConnId = 0;

class BunConnection implements Connection {
  readonly id = String(++nextConnId);
  constructor(private readonly ws: ServerWebSocket<SocketData>, readonly userId: string, readonly session?: string) {}
  send(frame: string): void {
    this.ws.send(frame);
  }
  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }
  buffered(): number {
    return this.ws.getBufferedAmount();
  }
  subscribe(topic: string): void {
    this.ws.subscribe(topic);
  }
  unsubscribe(topic: string): void {
    this.ws.unsubscribe(topic);
  }
}

/** Hands the request's socket to Bun with `data` attached (the edge verified the ticket). */
export function upgradeSocket<D>(c: Context, data: D): Response {
  const server = (c.env as { server?: Server<unknown> })?.server;
  if (!server) throw new Error("Bun server missing from env");
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") throw new NexusError("bad_request", "expected a WebSocket upgrade");
  if (!(server as Server<unknown>).upgrade(c.req.raw, { data })) throw new NexusError("bad_request", "WebSocket upgrade failed");
  return new Response(null);
}

export function bunSocketRouter(): SocketRouter {
  const upgrade = (c: Context, data: SocketData) => upgradeSocket(c, data);
  return {
    conversation: async (c, id, userId, resume, session) => upgrade(c, { kind: "conversation", id, userId, session, resume }),
    inbox: async (c, userId, session) => upgrade(c, { kind: "inbox", id: userId, userId, session, resume: {} }),
  };
}

const frameFailed = (e: unknown) => console.error("[ws] frame failed", e);

/** Bun's socket settings for every Nexus socket (local or bridged in cluster mode). */
export function socketSettings(limits: Limits) {
  return {
    // Frames over 4x the limit are cut by Bun (close 1009); smaller oversize frames get an error frame.
    maxPayloadLength: limits.maxFrameBytes * 4,
    backpressureLimit: limits.maxSocketBufferBytes * 2,
    closeOnBackpressureLimit: true,
    idleTimeout: 120,
    perMessageDeflate: false,
  };
}

/** `system`: where each socket's actor is resolved, at every use (cluster mode passes only the
 *  actors this node owns: hosts/cluster/ownedSockets.ts). */
export function bunWebSocketHandler(system: Pick<BunActorSystem, "actor">, limits: Limits): WebSocketHandler<SocketData> {
  return {
    ...socketSettings(limits),
    open(ws) {
      const d = ws.data;
      d.attached = new AttachedSocket(() => system.actor(d.kind, d.id), new BunConnection(ws, d.userId, d.session), d.resume, (e, stage) => {
        if (stage === "frame") return frameFailed(e);
        console.error(`[ws] ${d.kind} ${d.id} connect failed`, e);
        ws.close(CloseCodes.internal, "internal error");
      });
    },
    message(ws, message) {
      ws.data.attached!.receive(typeof message === "string" ? message : new TextDecoder().decode(message));
    },
    close(ws) {
      ws.data.attached?.detach();
    },
  };
}
