/**
 * The edge's side of a socket whose actor lives on another node: the client's frames go to the
 * owner verbatim, in order, on one subject; what the owner sends comes back on this node's
 * out-stream (remoteSockets.ts). Topic joins become local Bun topic subscriptions (`b:<topic>`), so
 * one bus message per event reaches every bridged socket of this node with one local publish.
 *
 * If the owner goes away (heartbeats stop, or it restarted), or the bus connection drops (a frame
 * may have been lost), its bridged sockets are closed with 1012: the client reconnects, the edge
 * finds the new owner, and resume replays from storage. Nothing acknowledged depends on the bridge.
 */
import type { ServerWebSocket } from "bun";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { encode, In, Out, Reassembler, send, subscribeStream, type OpenSocket, type Subjects } from "./wire.ts";
import { CLOSE_RETRY, MOVED } from "./remoteSockets.ts";

export interface BridgedData extends OpenSocket {
  /** Node that owns the actor. */
  owner: string;
  connId?: string;
}

const BRIDGED_TOPIC = "b:";
let nextConnId = 0;
/** Prefix of this process's connIds: a restarted edge must not reuse keys the owner still holds. */
const RUN = Math.random().toString(36).slice(2, 8);

export class SocketBridge {
  private socks = new Map<string, ServerWebSocket<BridgedData>>();
  private sub: Subscription | undefined;
  private readonly pieces = new Reassembler();
  /** Called when an owner refused a socket because it no longer holds the actor. */
  onMoved: ((kind: OpenSocket["kind"], id: string) => void) | undefined;
  /** Bun's server.publish, set once the server listens. */
  publish: ((topic: string, frame: string) => void) | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subj: Subjects,
    private readonly node: string,
  ) {}

  start(): void {
    this.sub = subscribeStream(this.nc, this.subj.sockOut(this.node), this.pieces, (op, key, payload) => this.handle(op, key, payload));
  }

  private handle(op: string, key: string, payload: string): void {
    if (op === Out.Publish) return void this.publish?.(BRIDGED_TOPIC + key, payload);
    const dot = key.indexOf(".");
    const owner = key.slice(0, dot);
    const ws = this.socks.get(key.slice(dot + 1));
    if (!ws) {
      // Closed here while the owner still holds it (our Closed was lost): let it go there too.
      if (op !== Out.Close && dot > 0) this.nc.publish(this.subj.sockIn(owner), encode(In.Closed, `${this.node}.${key.slice(dot + 1)}`));
      return;
    }
    switch (op) {
      case Out.Send:
        ws.send(payload);
        break;
      case Out.Join:
        ws.subscribe(BRIDGED_TOPIC + payload);
        break;
      case Out.Leave:
        ws.unsubscribe(BRIDGED_TOPIC + payload);
        break;
      case Out.Close: {
        const bar = payload.indexOf("|");
        const reason = payload.slice(bar + 1);
        // The owner gave the actor up (idle eviction) after we looked it up: look again next time.
        if (reason === MOVED) this.onMoved?.(ws.data.kind, ws.data.id);
        ws.close(Number(payload.slice(0, bar)) || 1000, reason);
        break;
      }
    }
  }

  private toOwner(ws: ServerWebSocket<BridgedData>, op: In, payload?: string): void {
    const subject = this.subj.sockIn(ws.data.owner);
    send((msg) => this.nc.publish(subject, msg), op, `${this.node}.${ws.data.connId}`, payload);
  }

  open(ws: ServerWebSocket<BridgedData>): void {
    const connId = `${RUN}-${++nextConnId}`;
    ws.data.connId = connId;
    this.socks.set(connId, ws);
    const { kind, id, userId, session, resume } = ws.data;
    this.toOwner(ws, In.Open, JSON.stringify({ kind, id, userId, session, resume } satisfies OpenSocket));
  }

  message(ws: ServerWebSocket<BridgedData>, raw: string): void {
    this.toOwner(ws, In.Frame, raw);
  }

  close(ws: ServerWebSocket<BridgedData>): void {
    if (!ws.data.connId || !this.socks.delete(ws.data.connId)) return;
    this.pieces.forget(`${ws.data.owner}.${ws.data.connId}`);
    if (!this.nc.isClosed()) this.toOwner(ws, In.Closed);
  }

  /** The bus connection dropped: pieces of split messages will never be completed. */
  resetPieces(): void {
    this.pieces.clear();
  }

  /** Close every socket bridged to `owner` (or all of them) so their clients reconnect and resume. */
  closeAll(reason: string, owner?: string): number {
    let n = 0;
    for (const ws of this.socks.values())
      if (owner === undefined || ws.data.owner === owner) {
        ws.close(CLOSE_RETRY, reason);
        n++;
      }
    return n;
  }

  get size(): number {
    return this.socks.size;
  }

  stop(): void {
    this.sub?.unsubscribe();
  }
}
