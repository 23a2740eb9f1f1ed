/**
 * A region's answer to "who owns X?" (askRegion.ts asks it): one node of the region's queue group
 * answers, with the owner it knows (a `peek` claims nothing), or by claiming X itself when X's home
 * is this region, or with the home it knows when it is not (the asker missed a move).
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { ActorKind } from "../../actors/api.ts";

export interface LocateAnswers {
  /** This node's name: the answer when it owns X. */
  node: string;
  ownedHere(kind: ActorKind, id: string): boolean;
  /** The current owner, claiming nothing (null: none). */
  owner(kind: ActorKind, id: string): Promise<string | null>;
  /** Claims X here if its home is this region; else names the home. */
  claimIfHome(kind: ActorKind, id: string): Promise<{ node: string } | { home: string }>;
}

export function serveLocate(nc: NatsConnection, subject: string, a: LocateAnswers): Subscription {
  return nc.subscribe(subject, {
    queue: "locate",
    callback: (err, msg) => {
      if (err) return;
      void (async () => {
        try {
          const { k, id, peek } = msg.json<{ k: ActorKind; id: string; peek?: boolean }>();
          if (peek) return msg.respond(JSON.stringify({ node: await a.owner(k, id) }));
          if (a.ownedHere(k, id)) return msg.respond(JSON.stringify({ node: a.node }));
          msg.respond(JSON.stringify(await a.claimIfHome(k, id)));
        } catch (e) {
          msg.respond(JSON.stringify({ error: String(e) }));
        }
      })();
    },
  });
}
