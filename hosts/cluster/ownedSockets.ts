/**
 * The actor a client socket on this node talks to, resolved at every use (AttachedSocket) and only
 * while this node owns it. Without this, a socket opened just as its actor moved away (to another
 * node, or to another region: homeMoves.ts) was attached to a fresh instance made here on the spot,
 * which loaded the old copy and committed to it — acknowledged messages that the new home never saw
 * (found by `npm run chaos` with automatic moves: issue #15). A socket whose actor is not owned here
 * is closed with 1012 instead: its client reconnects and resumes wherever the actor is now.
 */
import { CloseCodes } from "../../protocol/index.ts";
import type { ActorKind } from "../../actors/api.ts";
import type { Connection, SocketActor } from "../../actors/ports.ts";
import type { BunActorSystem } from "../bun/BunActorSystem.ts";

const NOT_HERE = "moved";

/** Answers every socket with a close: the actor lives elsewhere now. */
const notHere: SocketActor = {
  connect: async (conn: Connection) => conn.close(CloseCodes.restart, NOT_HERE),
  restore: (conn: Connection) => conn.close(CloseCodes.restart, NOT_HERE),
  receive: async (conn: Connection) => conn.close(CloseCodes.restart, NOT_HERE),
  disconnect: () => {},
};

/** `local`'s actors, as sockets see them: the actor while this node owns it, else `notHere`. */
export function ownedSocketActors(local: BunActorSystem, owns: (kind: ActorKind, id: string) => boolean): Pick<BunActorSystem, "actor"> {
  return {
    actor: ((kind: ActorKind, id: string) => (owns(kind, id) ? local.actor(kind, id) : notHere)) as BunActorSystem["actor"],
  };
}
