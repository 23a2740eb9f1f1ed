/**
 * The owner's side of sockets held by other nodes (edge nodes): each becomes a RemoteConnection
 * attached to the local actor exactly like a local socket. Its frames go back over the edge node's
 * out-stream; a topic it joins is joined by the edge node once, and each publish to that topic goes
 * to the edge node once however many of its sockets joined (RemoteTopics), which re-publishes it
 * to them locally. So cross-node fan-out costs one bus message per event per edge node.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { CloseCodes } from "../../protocol/index.ts";
import { AttachedSocket } from "../../actors/attachedSocket.ts";
import type { Connection, Publisher } from "../../actors/ports.ts";
import type { BunActorSystem } from "../bun/BunActorSystem.ts";
import { In, Out, Reassembler, send, subscribeStream, type OpenSocket, type Subjects } from "./wire.ts";

/** Close code that tells the client to reconnect at once (the actor moved or a node went away). */
export const CLOSE_RETRY = CloseCodes.restart;
/** Close reason when this node does not hold the actor (the edge forgets its cached owner). */
export const MOVED = "moved";

class RemoteConnection implements Connection {
  attached: AttachedSocket | undefined;
  readonly topics = new Set<string>();
  constructor(
    readonly id: string,
    readonly userId: string,
    readonly edge: string,
    readonly open: OpenSocket,
    private readonly out: (op: string, key: string, payload?: string) => void,
    private readonly topicsOf: RemoteTopics,
  ) {}
  get session(): string | undefined {
    return this.open.session;
  }
  send(frame: string): void {
    this.out(Out.Send, this.id, frame);
  }
  close(code: number, reason: string): void {
    this.out(Out.Close, this.id, `${code}|${reason}`);
  }
  /** The edge node's Bun socket enforces the send-buffer limit itself (it closes a stalled reader). */
  buffered(): number {
    return 0;
  }
  subscribe(topic: string): void {
    if (this.topics.has(topic)) return;
    this.topics.add(topic);
    this.topicsOf.join(topic, this.edge);
    this.out(Out.Join, this.id, topic);
  }
  unsubscribe(topic: string): void {
    if (!this.topics.delete(topic)) return;
    this.topicsOf.leave(topic, this.edge);
    this.out(Out.Leave, this.id, topic);
  }
}

/** The edge node holding a socket attached here, or undefined for a socket of this node's own. */
export function edgeOf(conn: Connection): string | undefined {
  return conn instanceof RemoteConnection ? conn.edge : undefined;
}

/** Which edge nodes have sockets joined to a topic, and how many. */
export class RemoteTopics {
  private byTopic = new Map<string, Map<string, number>>();
  join(topic: string, edge: string): void {
    let m = this.byTopic.get(topic);
    if (!m) this.byTopic.set(topic, (m = new Map()));
    m.set(edge, (m.get(edge) ?? 0) + 1);
  }
  leave(topic: string, edge: string): void {
    const m = this.byTopic.get(topic);
    if (!m) return;
    const n = (m.get(edge) ?? 0) - 1;
    if (n > 0) m.set(edge, n);
    else m.delete(edge);
    if (m.size === 0) this.byTopic.delete(topic);
  }
  /** Local publish plus one bus message per edge node with sockets on the topic. */
  publisher(local: Publisher, toEdge: (edge: string, topic: string, frame: string) => void): Publisher {
    return (topic, frame) => {
      local(topic, frame);
      const m = this.byTopic.get(topic);
      if (m) for (const edge of m.keys()) toEdge(edge, topic, frame);
    };
  }
}

/** How a client's write frame starts (clients encode `t` first): counted for automatic moves. */
export const SEND_FRAME = '{"t":"send"';

export class RemoteSockets {
  /** A write to a conversation arrived from a socket held by `edge` (movePolicy.ts counts them). */
  onWrite: ((conversationId: string, edge: string) => void) | undefined;
  private conns = new Map<string, RemoteConnection>();
  private sub: Subscription | undefined;
  private readonly pieces = new Reassembler();
  readonly topics = new RemoteTopics();

  constructor(
    private readonly nc: NatsConnection,
    private readonly subj: Subjects,
    private readonly node: string,
    /** Resolved at every use, and only while owned here (ownedSockets.ts). */
    private readonly system: Pick<BunActorSystem, "actor">,
    /** Does this node own the actor right now (lease held)? Sockets for others are sent back. */
    private readonly owns: (kind: OpenSocket["kind"], id: string) => boolean,
  ) {}

  start(): void {
    this.sub = subscribeStream(this.nc, this.subj.sockIn(this.node), this.pieces, (op, key, payload) => this.handle(op, key, payload));
  }

  private outTo(edge: string) {
    const subject = this.subj.sockOut(edge);
    const publish = (msg: string) => this.nc.publish(subject, msg);
    // Keys name this node too: an edge that no longer knows the socket tells us (socketBridge.ts).
    return (op: string, connId: string, payload?: string) => send(publish, op, `${this.node}.${connId}`, payload);
  }

  publishTo(edge: string, topic: string, frame: string): void {
    const subject = this.subj.sockOut(edge);
    send((msg) => this.nc.publish(subject, msg), Out.Publish, topic, frame);
  }

  private handle(op: string, key: string, payload: string): void {
    const dot = key.indexOf(".");
    if (dot < 1) return;
    const edge = key.slice(0, dot);
    const connId = key.slice(dot + 1);
    if (op === In.Open) {
      const o = JSON.parse(payload) as OpenSocket;
      const out = this.outTo(edge);
      if (!this.owns(o.kind, o.id)) return out(Out.Close, connId, `${CLOSE_RETRY}|${MOVED}`);
      const conn = new RemoteConnection(connId, o.userId, edge, o, out, this.topics);
      const stale = this.conns.get(key);
      if (stale) this.drop(key, stale);
      this.conns.set(key, conn);
      conn.attached = new AttachedSocket(() => this.system.actor(o.kind, o.id), conn, o.resume, (e, stage) => {
        if (stage === "frame") return frameFailed(e);
        console.error(`[cluster] ${o.kind} ${o.id} connect failed`, e);
        conn.close(CloseCodes.internal, "internal error");
      });
      return;
    }
    const conn = this.conns.get(key);
    if (!conn) {
      // This node restarted or dropped the socket: the edge must close it so the client resumes.
      if (op === In.Frame) this.outTo(edge)(Out.Close, connId, `${CLOSE_RETRY}|unknown socket`);
      return;
    }
    if (op === In.Frame) {
      if (conn.open.kind === "conversation" && payload.startsWith(SEND_FRAME)) this.onWrite?.(conn.open.id, edge);
      conn.attached?.receive(payload);
    }
    else if (op === In.Closed) {
      this.pieces.forget(key);
      this.drop(key, conn);
    }
  }

  private drop(key: string, conn: RemoteConnection): void {
    this.conns.delete(key);
    for (const t of conn.topics) this.topics.leave(t, conn.edge);
    conn.topics.clear();
    conn.attached?.detach();
  }

  /** An edge node went away: its sockets are gone. If it was only late (a stalled event loop, a
   *  gateway hiccup), the close tells it to make its clients reconnect rather than sit unserved. */
  edgeGone(edge: string): void {
    for (const [key, conn] of this.conns)
      if (conn.edge === edge) {
        conn.close(CLOSE_RETRY, "edge presumed gone");
        this.drop(key, conn);
      }
  }

  /** The bus connection dropped: pieces of split messages will never be completed. */
  resetPieces(): void {
    this.pieces.clear();
  }

  /** This node stopped owning everything (lease lost or shutting down): tell every edge to reconnect. */
  closeAll(reason: string): void {
    for (const [key, conn] of this.conns) {
      conn.close(CLOSE_RETRY, reason);
      this.drop(key, conn);
    }
  }

  get size(): number {
    return this.conns.size;
  }

  stop(): void {
    this.sub?.unsubscribe();
  }
}

const frameFailed = (e: unknown) => console.error("[cluster] frame failed", e);
