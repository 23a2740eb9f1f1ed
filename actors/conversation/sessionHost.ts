/**
 * What a conversation socket's session (socketSession.ts) needs from its actor: the socket-facing
 * operations and the parts it attaches sockets to. ConversationActor implements it; the session
 * knows nothing else of the actor, so the two do not import each other.
 */
import type { ConversationEvent, ConversationInfo, Limits } from "../../protocol/index.ts";
import type { ConversationApi, PinInput, SendInput } from "../api.ts";
import type { Caller, Connection } from "../ports.ts";
import type { CallRelay } from "./callRelay.ts";
import type { Fanout } from "./fanout.ts";
import type { OpResult, State } from "./state.ts";
import type { TypingTracker } from "./typing.ts";

/** Writes that come from a socket also take the socket (its ack) and the sender's base seq. */
type FromSocket<F> = F extends (caller: Caller, ...rest: infer A) => Promise<infer R>
  ? (caller: Caller, ...rest: [...A, conn?: Connection, base?: number]) => Promise<R>
  : never;

export interface SessionHost extends Pick<ConversationApi, "history"> {
  readonly id: string;
  readonly limits: Limits;
  readonly fanout: Fanout;
  readonly typing: TypingTracker;
  readonly calls: CallRelay;
  ready(): Promise<void>;
  exists(): boolean;
  isMember(userId: string): boolean;
  /** The loaded state, after checking that `caller` is a member (throws otherwise). */
  state(caller: Caller): State;
  infoOf(s: State): ConversationInfo;
  replay(after: number, upTo: number): Promise<ConversationEvent[]>;
  /** Storage is unreachable: reads work, writes are refused (storageOutage.ts). */
  readonly readOnly: boolean;
  send(caller: Caller, input: SendInput, conn?: Connection): Promise<OpResult>;
  /** A send from a loaded actor's socket, without a promise per send (see ConversationActor). */
  sendFromSocket(caller: Caller, input: SendInput, conn: Connection, refused: (e: unknown) => void): void;
  deleteMessage: FromSocket<ConversationApi["deleteMessage"]>;
  edit(caller: Caller, clientId: string, target: number, text: string, conn?: Connection, base?: number): Promise<OpResult>;
  react(caller: Caller, clientId: string, target: number, emoji: string, on: boolean, conn?: Connection, base?: number): Promise<OpResult>;
  pin(caller: Caller, input: PinInput, conn?: Connection): Promise<OpResult>;
  markRead(userId: string, seq: number): Promise<void>;
}
