/**
 * A client socket's life on a conversation actor: welcome (with gap-free resume), frames in,
 * errors out. Every frame is validated by the protocol schema before it reaches the actor.
 */
import { errorFrame, frame, pongFrame } from "../../protocol/serverFrames.ts";
import { CloseCodes, ConversationClientFrame, isNexusError, type ConversationEvent } from "../../protocol/index.ts";
import type { Connection, Resume, SocketActor } from "../ports.ts";
import { SocketBuckets } from "../frameRate.ts";
import type { SessionHost } from "./sessionHost.ts";
import type { Sub } from "./fanout.ts";

const MAX_BAD_FRAMES = 20;
const FIRST_PAGE = 50;

/**
 * The sockets of one conversation actor (both host kinds feed them through SocketActor): the actor
 * sees them only through SessionHost, so the session's rules live here and the actor's in
 * ConversationActor.ts.
 */
export class ConversationSockets implements SocketActor {
  /** Per-socket buckets for frames that write nothing (actors/frameRate.ts). */
  private readonly rates: SocketBuckets<"history" | "typing">;

  constructor(private readonly actor: SessionHost) {
    this.rates = new SocketBuckets({ history: actor.limits.historyPerSecond, typing: actor.limits.typingPerSecond });
  }

  async connect(conn: Connection, resume: Resume = {}): Promise<void> {
    const actor = this.actor;
    await actor.ready();
    if (!actor.exists()) return conn.close(CloseCodes.notFound, "no such conversation");
    if (!actor.isMember(conn.userId)) return conn.close(CloseCodes.forbidden, "not a member of this conversation");
    // Attach first (buffering), then read: events committed during the read are buffered, not lost.
    const sub = actor.fanout.add(conn, true);
    const s = actor.state({ userId: conn.userId });
    const upTo = s.lastSeq;
    const { after, epoch } = resume;
    let events: ConversationEvent[];
    let recovered = false;
    let hasMore = false;
    try {
      // Both reads stop at upTo: storage may already hold a batch the actor has not applied yet
      // (pipelined commits); its events reach this socket live, once, when it is applied.
      if (after !== undefined && epoch === s.epoch && after <= upTo && upTo - after <= actor.limits.replayCap) {
        events = await actor.replay(after, upTo);
        recovered = true;
      } else {
        const page = await actor.history({ userId: conn.userId }, upTo + 1, FIRST_PAGE);
        events = page.events;
        hasMore = page.hasMore;
      }
    } catch (e) {
      actor.fanout.remove(conn);
      return conn.close(CloseCodes.goingAway, "could not read history; reconnect");
    }
    if (actor.fanout.get(conn) !== sub) return; // removed or closed meanwhile
    // lastSeq is where this welcome's events end (upTo), not where the log is now: events committed
    // during the read come live right after the welcome, so a client that trusts lastSeq as "caught
    // up to" is never wrong. (Seen when the read is a network round trip: cluster mode's libSQL server.)
    const conversation = { ...actor.infoOf(actor.state({ userId: conn.userId })), lastSeq: upTo };
    const flow = conn.ackChars ? { ackChars: conn.ackChars } : undefined;
    const limits = { maxTextLength: actor.limits.maxTextLength };
    const readOnly = actor.readOnly ? true : undefined;
    conn.send(frame("welcome", { conversation, recovered, events, hasMore, typing: actor.typing.who(), flow, limits, readOnly }));
    actor.fanout.release(sub, upTo);
  }

  /** Re-attach a socket that survived while the actor slept (Durable Object hibernation). */
  restore(conn: Connection): void {
    const actor = this.actor;
    if (actor.isMember(conn.userId)) actor.fanout.add(conn, false);
    else conn.close(CloseCodes.forbidden, "not a member of this conversation");
  }

  disconnect(conn: Connection): void {
    const actor = this.actor;
    actor.fanout.remove(conn);
    // Checked by user, not by the removal: a socket the fanout already dropped (4008) ends here too.
    if (actor.fanout.hasUser(conn.userId)) return;
    actor.typing.set(conn.userId, false);
    actor.calls.left(conn.userId);
  }

  async receive(conn: Connection, raw: string): Promise<void> {
    const actor = this.actor;
    const sub = actor.fanout.get(conn);
    if (!sub) return;
    if (raw.length > actor.limits.maxFrameBytes) return badFrame(sub, "payload_too_large", `frame larger than ${actor.limits.maxFrameBytes} bytes`);
    let data: any;
    try {
      data = JSON.parse(raw);
    } catch {
      return badFrame(sub, "bad_request", "frame is not valid JSON");
    }
    const parsed = ConversationClientFrame.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return badFrame(sub, "bad_request", `invalid frame: ${issue ? `${issue.path.join(".") || "frame"}: ${issue.message}` : "unknown"}`, data?.clientId);
    }
    const f = parsed.data;
    const caller = { userId: conn.userId };
    try {
      switch (f.t) {
        case "send":
          // Frames arrive after the welcome, so the state is loaded; the async path covers the rest.
          if (!actor.exists()) await actor.send(caller, f, conn);
          else actor.sendFromSocket(caller, f, conn, (e) => refused(actor, conn, e, f.clientId));
          break;
        case "edit":
          await actor.edit(caller, f.clientId, f.target, f.text, conn, f.base);
          break;
        case "delete":
          await actor.deleteMessage(caller, f.target, f.clientId, conn, f.base);
          break;
        case "react":
          await actor.react(caller, f.clientId, f.target, f.emoji, f.on, conn, f.base);
          break;
        case "pin":
          await actor.pin(caller, f, conn);
          break;
        case "typing":
          actor.state(caller);
          // Only a change to "on" fans out something new: refreshes and "off" are never limited.
          if (f.on && !actor.typing.has(conn.userId) && !this.rates.take(conn, "typing")) break;
          actor.typing.set(conn.userId, f.on);
          break;
        case "read":
          actor.state(caller);
          await actor.markRead(conn.userId, f.seq);
          break;
        case "history": {
          if (!this.rates.take(conn, "history")) break;
          const page = await actor.history(caller, f.before, f.limit);
          conn.send(frame("history", { before: f.before ?? null, events: page.events, hasMore: page.hasMore }));
          break;
        }
        case "ping":
          conn.send(pongFrame(Date.now()));
          break;
        case "received":
          conn.received?.(f.chars);
          break;
        case "call": {
          const s = actor.state(caller);
          if (s.type !== "direct") return sendError(conn, "bad_request", "calls are 1:1, in direct conversations");
          actor.calls.handle(conn.userId, [...s.members.keys()], f);
          break;
        }
      }
    } catch (e) {
      refused(actor, conn, e, (f as any).clientId);
    }
  }
}

function sendError(conn: Connection, code: string, message: string, clientId?: unknown): void {
  conn.send(errorFrame(code, message, clientId));
}

function badFrame(sub: Sub, code: string, message: string, clientId?: unknown): void {
  sendError(sub.conn, code, message, clientId);
  if (++sub.bad > MAX_BAD_FRAMES) sub.conn.close(CloseCodes.policy, "too many invalid frames");
}

function refused(actor: SessionHost, conn: Connection, e: unknown, clientId: unknown): void {
  if (isNexusError(e)) sendError(conn, e.code, e.message, clientId);
  else {
    console.error(`[conversation ${actor.id}] frame failed`, e);
    sendError(conn, "internal", "internal error", clientId);
  }
}
