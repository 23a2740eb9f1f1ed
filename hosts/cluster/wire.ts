/**
 * What cluster nodes say to each other over NATS: subject names and the encoding of the two socket
 * streams. Nodes trust each other (the bus must be private: NATS with auth/TLS); everything from
 * clients was validated by the edge that received it, and the owning actor checks the caller again.
 *
 * Socket streams are plain strings `op|key|payload`: a client frame is relayed as is, never parsed
 * or re-encoded on the way. One subject per direction per node, so NATS keeps them in order.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";

export interface Subjects {
  /** Request/reply: actor operations for actors this node owns (rpc.ts). */
  rpc(node: string): string;
  /** Edge → owner: client socket opened / frame / closed (remoteSockets.ts). */
  sockIn(node: string): string;
  /** Owner → edge: frames, closes, topic joins and publishes for bridged sockets (socketBridge.ts). */
  sockOut(node: string): string;
  /** Request/reply, one queue group per region: "who owns this actor?" (ClusterActorSystem.ts). */
  locate(region: string): string;
  /** Every node's heartbeat (peers.ts). */
  heartbeat: string;
  /** "Accounts changed at their home: sync your replica now" (accountsReplica.ts); payload: `<node>|<region>` of the writer. */
  accountsChanged: string;
}

export function subjects(prefix: string): Subjects {
  return {
    rpc: (node) => `${prefix}.node.${node}.rpc`,
    sockIn: (node) => `${prefix}.node.${node}.in`,
    sockOut: (node) => `${prefix}.node.${node}.out`,
    locate: (region) => `${prefix}.region.${region}.locate`,
    heartbeat: `${prefix}.hb`,
    accountsChanged: `${prefix}.accounts.changed`,
  };
}

/** Edge → owner ops. `key` is `<edgeNode>.<connId>`. */
export const In = {
  /** payload: JSON OpenSocket */
  Open: "o",
  /** payload: the client's frame, verbatim */
  Frame: "m",
  Closed: "c",
} as const;
export type In = (typeof In)[keyof typeof In];

/** Owner → edge ops. `key` is `<owner>.<connId>` (the topic for Publish). */
export const Out = {
  Send: "s",
  /** payload: `<code>|<reason>` */
  Close: "x",
  /** payload: topic */
  Join: "j",
  Leave: "l",
  /** key: topic, payload: frame (one message per edge node, however many of its sockets joined) */
  Publish: "p",
} as const;

export interface OpenSocket {
  kind: "conversation" | "inbox";
  id: string;
  userId: string;
  /** The sign-in session of the client's ticket (a logout closes its sockets). */
  session?: string;
  resume: { after?: number; epoch?: string };
}

export const encode = (op: string, key: string, payload = ""): string => `${op}|${key}|${payload}`;

/**
 * NATS refuses messages over max_payload (1 MB by default), and a welcome that replays many long
 * messages can be larger. Such payloads go as `+|key|part` pieces and then `op|key|last part`; the
 * receiver (Reassembler) joins them. One subject per direction keeps the pieces in order.
 * 256K UTF-16 units are at most 768 KB of UTF-8.
 */
export const PART_CHARS = 256 * 1024;
const PART = "+";

export function send(publish: (msg: string) => void, op: string, key: string, payload = ""): void {
  if (payload.length <= PART_CHARS) return publish(encode(op, key, payload));
  let at = 0;
  for (; payload.length - at > PART_CHARS; at += PART_CHARS) publish(encode(PART, key, payload.slice(at, at + PART_CHARS)));
  publish(encode(op, key, payload.slice(at)));
}

export class Reassembler {
  private parts = new Map<string, string[]>();
  /** The whole message, or null while pieces are still arriving. */
  take(s: string): { op: string; key: string; payload: string } | null {
    const m = decode(s);
    if (!m) return null;
    const held = this.parts.get(m.key);
    if (m.op === PART) {
      if (held) held.push(m.payload);
      else this.parts.set(m.key, [m.payload]);
      return null;
    }
    if (!held) return m;
    this.parts.delete(m.key);
    held.push(m.payload);
    return { op: m.op, key: m.key, payload: held.join("") };
  }
  clear(): void {
    this.parts.clear();
  }
  /** Pieces of a socket that closed midway are dropped. */
  forget(key: string): void {
    this.parts.delete(key);
  }
}

/** One direction of a socket stream: every whole message on `subject` (pieces joined by `pieces`)
 *  goes to `handle`, in order. */
export function subscribeStream(
  nc: NatsConnection,
  subject: string,
  pieces: Reassembler,
  handle: (op: string, key: string, payload: string) => void,
): Subscription {
  return nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) return;
      const m = pieces.take(msg.string());
      if (m) handle(m.op, m.key, m.payload);
    },
  });
}

/** Splits `op|key|payload`; the payload may itself contain `|`. */
export function decode(s: string): { op: string; key: string; payload: string } | null {
  const a = s.indexOf("|");
  const b = a < 0 ? -1 : s.indexOf("|", a + 1);
  if (a < 0 || b < 0) return null;
  return { op: s.slice(0, a), key: s.slice(a + 1, b), payload: s.slice(b + 1) };
}
