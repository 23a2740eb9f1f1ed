/**
 * WebSockets in cluster mode: before the upgrade, the edge looks up the actor's owner. Owned here →
 * the ordinary Bun path (bunSockets.ts); owned elsewhere → the socket is bridged to the owner
 * (socketBridge.ts). The choice is made once per socket; if the owner changes, the bridge closes
 * the socket (1012) and the client's reconnect lands on the new owner. A conversation whose home
 * region is lost is served read-only here from this node's replica of it (farSessions.ts).
 */
import type { WebSocketHandler } from "bun";
import { CloseCodes, type Limits } from "../../protocol/index.ts";
import type { SocketRouter } from "../../edge/host.ts";
import { bunWebSocketHandler, socketSettings, upgradeSocket, type SocketData } from "../bun/bunSockets.ts";
import type { BunActorSystem } from "../bun/BunActorSystem.ts";
import type { ClusterActorSystem } from "./ClusterActorSystem.ts";
import type { BridgedData, SocketBridge } from "./socketBridge.ts";
import { SEND_FRAME } from "./remoteSockets.ts";
import { FAR, type FarSessions } from "./farSessions.ts";

/** `owner`: the node of a bridged socket; `far`: a read-only session on this node (farSessions.ts). */
export type ClusterSocketData = SocketData & { owner?: string; far?: true };

export function clusterSocketRouter(cluster: ClusterActorSystem, far: FarSessions | null): SocketRouter {
  let lastTold = 0;
  const route = async (c: Parameters<SocketRouter["inbox"]>[0], data: SocketData) => {
    let owner: string | typeof FAR;
    try {
      const lookUp = () => cluster.ownerOf(data.kind, data.id);
      owner = far && data.kind === "conversation" ? await far.route(data.id, data.userId, lookUp) : await lookUp();
    } catch (e) {
      // The client sees only a 503 on its upgrade: the reason goes to the log (once a second at
      // most), for whoever is finding out why sockets are refused during an outage.
      if (Date.now() - lastTold > 1000) {
        lastTold = Date.now();
        console.warn(`[cluster] socket for ${data.kind} ${data.id} refused: ${(e as Error)?.message ?? e}`);
      }
      throw e;
    }
    if (owner === FAR) return upgradeSocket<ClusterSocketData>(c, { ...data, far: true });
    return upgradeSocket<ClusterSocketData>(c, owner === cluster.node ? data : { ...data, owner });
  };
  return {
    conversation: (c, id, userId, resume, session) => route(c, { kind: "conversation", id, userId, session, resume }),
    inbox: (c, userId, session) => route(c, { kind: "inbox", id: userId, userId, session, resume: {} }),
  };
}

export function clusterWebSocketHandler(local: Pick<BunActorSystem, "actor"> | null, bridge: SocketBridge, limits: Limits,
  /** A write to a conversation owned here arrived on one of this node's own sockets (movePolicy.ts). */
  onLocalWrite?: (conversationId: string) => void, far?: FarSessions | null): WebSocketHandler<ClusterSocketData> {
  const here = local ? bunWebSocketHandler(local, limits) : null;
  const readOnly = far ? bunWebSocketHandler(far.sockets, limits) : null;
  const bridged = (d: ClusterSocketData) => d.owner !== undefined;
  const text = (m: string | Buffer) => (typeof m === "string" ? m : new TextDecoder().decode(m));
  return {
    ...socketSettings(limits),
    open(ws) {
      if (ws.data.far) readOnly ? readOnly.open!(ws) : ws.close(CloseCodes.restart, "no read-only sessions here");
      else if (bridged(ws.data)) bridge.open(ws as never);
      else if (here) here.open!(ws);
      else ws.close(CloseCodes.internal, "this node hosts no actors");
    },
    message(ws, message) {
      if (ws.data.far) readOnly?.message!(ws, message);
      else if (bridged(ws.data)) bridge.message(ws as never, text(message));
      else {
        if (onLocalWrite && ws.data.kind === "conversation" && typeof message === "string" && message.startsWith(SEND_FRAME)) onLocalWrite(ws.data.id);
        here?.message!(ws, message);
      }
    },
    close(ws, code, reason) {
      if (ws.data.far) readOnly?.close!(ws, code, reason);
      else if (bridged(ws.data)) bridge.close(ws as never);
      else here?.close!(ws, code, reason);
    },
  };
}

export type { BridgedData };
