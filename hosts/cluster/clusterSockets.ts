/**
 * WebSockets in cluster mode: before the upgrade, the edge looks up the actor's owner. Owned here →
 * the ordinary Bun path (bunSockets.ts); owned elsewhere → the socket is bridged to the owner
 * (socketBridge.ts). The choice is made once per socket; if the owner changes, the bridge closes
 * the socket (1012) and the client's reconnect lands on the new owner.
 */
import type { WebSocketHandler } from "bun";
import { CloseCodes, type Limits } from "../../protocol/index.ts";
import type { SocketRouter } from "../../edge/host.ts";
import { bunWebSocketHandler, socketSettings, upgradeSocket, type SocketData } from "../bun/bunSockets.ts";
import type { BunActorSystem } from "../bun/BunActorSystem.ts";
import type { ClusterActorSystem } from "./ClusterActorSystem.ts";
import type { BridgedData, SocketBridge } from "./socketBridge.ts";
import { SEND_FRAME } from "./remoteSockets.ts";

export type ClusterSocketData = SocketData & { owner?: string };

export function clusterSocketRouter(cluster: ClusterActorSystem): SocketRouter {
  let lastTold = 0;
  const route = async (c: Parameters<SocketRouter["inbox"]>[0], data: SocketData) => {
    let owner: string;
    try {
      owner = await cluster.ownerOf(data.kind, data.id);
    } catch (e) {
      // The client sees only a 503 on its upgrade: the reason goes to the log (once a second at
      // most), for whoever is finding out why sockets are refused during an outage.
      if (Date.now() - lastTold > 1000) {
        lastTold = Date.now();
        console.warn(`[cluster] socket for ${data.kind} ${data.id} refused: ${(e as Error)?.message ?? e}`);
      }
      throw e;
    }
    return upgradeSocket<ClusterSocketData>(c, owner === cluster.node ? data : { ...data, owner });
  };
  return {
    conversation: (c, id, userId, resume, session) => route(c, { kind: "conversation", id, userId, session, resume }),
    inbox: (c, userId, session) => route(c, { kind: "inbox", id: userId, userId, session, resume: {} }),
  };
}

export function clusterWebSocketHandler(local: Pick<BunActorSystem, "actor"> | null, bridge: SocketBridge, limits: Limits,
  /** A write to a conversation owned here arrived on one of this node's own sockets (movePolicy.ts). */
  onLocalWrite?: (conversationId: string) => void): WebSocketHandler<ClusterSocketData> {
  const here = local ? bunWebSocketHandler(local, limits) : null;
  const bridged = (d: ClusterSocketData) => d.owner !== undefined;
  const text = (m: string | Buffer) => (typeof m === "string" ? m : new TextDecoder().decode(m));
  return {
    ...socketSettings(limits),
    open(ws) {
      if (bridged(ws.data)) bridge.open(ws as never);
      else if (here) here.open!(ws);
      else ws.close(CloseCodes.internal, "this node hosts no actors");
    },
    message(ws, message) {
      if (bridged(ws.data)) bridge.message(ws as never, text(message));
      else {
        if (onLocalWrite && ws.data.kind === "conversation" && typeof message === "string" && message.startsWith(SEND_FRAME)) onLocalWrite(ws.data.id);
        here?.message!(ws, message);
      }
    },
    close(ws, code, reason) {
      if (bridged(ws.data)) bridge.close(ws as never);
      else here?.close!(ws, code, reason);
    },
  };
}

export type { BridgedData };
