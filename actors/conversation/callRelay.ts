/**
 * 1:1 call signalling in a direct conversation. Signals are relayed, never stored; when a call ends a
 * `call` event (completed / missed / declined, duration) is logged so both sides see it in history.
 */
import { NexusError, type CallSignal } from "../../protocol/index.ts";
import type { Clock } from "../ports.ts";
import { frame } from "../../protocol/serverFrames.ts";
import type { ConversationDeps } from "./deps.ts";
import type { Draft } from "./drafts.ts";
import type { Fanout } from "./fanout.ts";

const RING_TIMEOUT_MS = 45_000;

export interface CallHooks {
  /** Send a signal to every socket `toUserId` has on this conversation. */
  relay(toUserId: string, from: string, signal: CallSignal): void;
  /** Ring the callee everywhere (inbox), even without this conversation open; also used to stop
   *  that ringing (a `hangup` for the same callId) when the call ends unanswered. */
  ring(toUserId: string, from: string, signal: CallSignal): void;
  log(call: { callId: string; caller: string; media: "audio" | "video"; outcome: "completed" | "missed" | "declined"; durationMs: number }): void;
  /** Whether the callee has any device connected (their inbox's presence). Ringing nobody for 45 s
   *  helps no one: an offline callee's call ends at once as missed, and is logged as such. */
  isOffline?(userId: string): Promise<boolean>;
}

interface ActiveCall {
  callId: string;
  caller: string;
  callee: string;
  media: "audio" | "video";
  answeredAt: number | null;
  cancelTimeout: () => void;
}

export class CallRelay {
  private call: ActiveCall | null = null;

  get active(): boolean {
    return this.call !== null;
  }

  constructor(private readonly clock: Clock, private readonly hooks: CallHooks) {}

  /** `members` are the two members of the direct conversation. */
  handle(from: string, members: string[], s: CallSignal): void {
    const other = members.find((m) => m !== from);
    if (!other) throw new NexusError("bad_request", "calls need two members");
    if (s.action === "ring") return this.ring(from, other, s);
    const c = this.call;
    if (!c || c.callId !== s.callId) throw new NexusError("not_found", "no such call");
    if (from !== c.caller && from !== c.callee) throw new NexusError("forbidden", "not in this call");
    const peer = from === c.caller ? c.callee : c.caller;
    switch (s.action) {
      case "accept":
        if (from !== c.callee || c.answeredAt !== null) throw new NexusError("conflict", "cannot accept this call");
        c.answeredAt = this.clock.now();
        c.cancelTimeout();
        // Answered on one device: the callee's other devices, ringing through the inbox, stop. An
        // `accept` from the callee themself on their inbox socket says "answered elsewhere".
        this.hooks.ring(c.callee, c.callee, { t: "call", callId: c.callId, action: "accept" });
        break;
      case "decline":
        if (from !== c.callee || c.answeredAt !== null) throw new NexusError("conflict", "cannot decline this call");
        this.end("declined");
        break;
      case "hangup":
        this.end(c.answeredAt === null ? "missed" : "completed");
        break;
      default: // offer, answer, ice: relayed as-is between the two
        break;
    }
    this.hooks.relay(peer, from, s);
  }

  /** `userId` has no socket left on this conversation: a call they are in cannot go on (an answered
   *  call would otherwise stay "in progress" forever and block every later ring). A callee who has
   *  not answered yet may be ringing from their inbox, so only the caller's leaving ends a ring. */
  left(userId: string): void {
    const c = this.call;
    if (!c || (userId !== c.caller && !(userId === c.callee && c.answeredAt !== null))) return;
    this.hooks.relay(userId === c.caller ? c.callee : c.caller, userId, { t: "call", callId: c.callId, action: "hangup" });
    this.end(c.answeredAt === null ? "missed" : "completed");
  }

  private ring(caller: string, callee: string, s: CallSignal): void {
    if (this.call) throw new NexusError("conflict", "a call is already in progress");
    const media = s.media ?? "audio";
    const cancelTimeout = this.clock.schedule(RING_TIMEOUT_MS, () => {
      if (this.call?.callId !== s.callId || this.call.answeredAt !== null) return;
      this.hooks.relay(caller, callee, { t: "call", callId: s.callId, action: "hangup" });
      this.hooks.relay(callee, caller, { t: "call", callId: s.callId, action: "hangup" });
      this.end("missed");
    });
    this.call = { callId: s.callId, caller, callee, media, answeredAt: null, cancelTimeout };
    this.hooks.relay(callee, caller, { ...s, media });
    this.hooks.ring(callee, caller, { ...s, media });
    void this.hooks.isOffline?.(callee).then(
      (offline) => {
        if (!offline || this.call?.callId !== s.callId || this.call.answeredAt !== null) return;
        this.hooks.relay(caller, callee, { t: "call", callId: s.callId, action: "hangup" });
        this.end("missed");
      },
      () => {}, // presence unknown: let it ring until the timeout
    );
  }

  private end(outcome: "completed" | "missed" | "declined"): void {
    const c = this.call!;
    c.cancelTimeout();
    this.call = null;
    const durationMs = c.answeredAt === null ? 0 : this.clock.now() - c.answeredAt;
    // An unanswered call may still be ringing on the callee's other devices (through the inbox).
    if (c.answeredAt === null) this.hooks.ring(c.callee, c.caller, { t: "call", callId: c.callId, action: "hangup" });
    this.hooks.log({ callId: c.callId, caller: c.caller, media: c.media, outcome, durationMs });
  }

  dispose(): void {
    this.call?.cancelTimeout();
    this.call = null;
  }
}

/** The relay of conversation `id`: signals go to the members' sockets here, rings through their
 *  inboxes (every screen), and each call ends as a `call` event committed by `commit`. */
export function conversationCalls(id: string, deps: ConversationDeps, fanout: Fanout, commit: (d: Draft) => Promise<unknown>): CallRelay {
  return new CallRelay(deps.clock, {
    relay: (to, from, signal) => fanout.toUser(to, frame("call", { ...signal, from, conversationId: id })),
    ring: (to, from, signal) => deps.mesh.ring(to, { conversationId: id, from, signal }),
    log: (c) => void commit({ kind: "call", author: c.caller, callId: c.callId, media: c.media, outcome: c.outcome, durationMs: c.durationMs }).catch(() => {}),
    // Offline: no socket here and none on their inbox (where rings reach every screen).
    isOffline: async (userId) => !fanout.hasUser(userId) && (await deps.mesh.presenceOf([userId]))[0]?.status === "offline",
  });
}
