/**
 * The world the authorization matrix runs in (callers as described in authzMatrix.ts) and how one
 * caller's answer is observed: an HTTP status, whether a socket got its welcome, or a frame's reply.
 */
import { expect } from "bun:test";
import { newClientId, type Frame, type Nexus, type Session, type TestSocket } from "../support/client.ts";
import type { Answer, Caller } from "./authzMatrix.ts";

export interface Fixture {
  nx: Nexus;
  /** undefined for anonymous. */
  as: Record<Caller, Session | undefined>;
  group: string;
  /** A message by `author` in the group, and an attachment it carries. */
  seq: number;
  attachmentId: string;
  /** A plain user in nothing, partner of the direct-conversation row. */
  peer: Session;
  /** The locked caller's socket ticket from before the lock. */
  lockedTicket: string;
  /** Register a fresh user (targets that a successful request changes). */
  fresh(prefix: string): Promise<Session>;
  /** A fresh member of the group, added by its admin. */
  freshMember(): Promise<Session>;
  /** A fresh message by `author`. */
  freshMessage(): Promise<number>;
}

export async function makeFixture(nx: Nexus, root: Session): Promise<Fixture> {
  const reg = (p: string) => nx.register(`az${p}`);
  const [nonMember, member, author, groupAdmin, removed, locked, peer] = await Promise.all(["nonmem", "member", "author", "gadmin", "removed", "locked", "peer"].map(reg));
  const g = await groupAdmin!.createGroup("authz", [member!, author!, removed!, locked!]);
  const sent = await author!.must("POST", `/v1/conversations/${g.id}/messages`, { clientId: newClientId("az"), text: "the author's words" }, 201);
  const up = await nx.request("POST", `/v1/attachments?conversationId=${g.id}&name=authz.txt`, new TextEncoder().encode("private"), author!.token, { "content-type": "text/plain" });
  expect(up.status).toBe(201);
  await author!.must("POST", `/v1/conversations/${g.id}/messages`, { clientId: newClientId("az"), text: "", attachments: [up.body.id] }, 201);
  await groupAdmin!.must("DELETE", `/v1/conversations/${g.id}/members/${removed!.id}`);
  const lockedTicket = await locked!.ticket();
  expect((await root.api("POST", `/v1/admin/users/${locked!.id}/lock`, {})).status).toBe(204);
  const fx: Fixture = {
    nx,
    as: { anonymous: undefined, nonMember, member, author, groupAdmin, accountAdmin: root, removed, locked },
    group: g.id,
    seq: sent.seq,
    attachmentId: up.body.id,
    peer: peer!,
    lockedTicket,
    fresh: (p) => reg(p),
    async freshMember() {
      const s = await reg("extra");
      await groupAdmin!.must("POST", `/v1/conversations/${g.id}/members`, { username: s.username });
      return s;
    },
    async freshMessage() {
      return (await author!.must("POST", `/v1/conversations/${g.id}/messages`, { clientId: newClientId("az"), text: "delete me" }, 201)).seq;
    },
  };
  return fx;
}

/** A forged ticket / token: well-formed enough to reach verification. */
export const FORGED = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1X25vYm9keSJ9.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/** The ticket a caller opens sockets with: its own, the locked one's from before the lock, or forged. */
export async function ticketOf(fx: Fixture, caller: Caller): Promise<string> {
  if (caller === "anonymous") return FORGED;
  if (caller === "locked") return fx.lockedTicket;
  return fx.as[caller]!.ticket();
}

/** Open a socket; "welcome" once its first frame (`first`) arrives, "refused" if it closes before. */
export async function openAs(fx: Fixture, caller: Caller, path: string, first: string): Promise<{ answer: Answer; sock: TestSocket }> {
  // The caller's id lets the socket see its own events as acks (tests/support/socket.ts).
  const sock = fx.nx.openSocket(path, fx.as[caller]?.id);
  try {
    await sock.next(first, 10_000);
    return { answer: "welcome", sock };
  } catch (e) {
    if (!sock.isClosed) throw e;
    const info = sock.closeInfo!;
    const refused = info.opened ? [4003, 4004].includes(info.code) : info.rejectedStatus === undefined || [401, 403, 404].includes(info.rejectedStatus);
    return { answer: refused ? "refused" : `closed ${info.code}/${info.rejectedStatus}`, sock };
  }
}

/**
 * Send `frame` and say how it was answered: the ack or error naming its clientId for writes; else,
 * up to the pong of a ping sent after it, an error's code, "history", "pong" (for a ping) or "none".
 */
export async function frameAnswer(sock: TestSocket, frame: Record<string, unknown>): Promise<Answer> {
  const from = sock.frames.length;
  sock.send(frame);
  if (typeof frame.clientId === "string") {
    const r = await sock.replyTo(frame.clientId, 10_000);
    return r.t === "error" ? r.code : "ack";
  }
  sock.send({ t: "ping" });
  const pongs = frame.t === "ping" ? 2 : 1;
  const mine = (f: Frame) => sock.frames.indexOf(f) >= from;
  await sock.take((f) => f.t === "pong" && mine(f), pongs, 10_000);
  // A history page is read from storage while a ping is answered at once: through a cluster's
  // bridge (or a replica read) the pong can come first, so a history frame waits for its answer.
  if (frame.t === "history" && !sock.frames.slice(from).some((f) => f.t === "history" || f.t === "error"))
    await sock.take((f) => (f.t === "history" || f.t === "error") && mine(f), 1, 10_000).catch(() => {});
  const got = sock.frames.slice(from);
  const error = got.find((f) => f.t === "error");
  if (error) return error.code;
  if (got.some((f) => f.t === "history")) return "history";
  return frame.t === "ping" ? "pong" : "none";
}
