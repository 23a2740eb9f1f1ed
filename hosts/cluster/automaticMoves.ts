/**
 * A node's automatic moves (docs/cluster.md "Moves"): one MovePolicy per kind of actor, with the
 * same knobs (NEXUS_MOVE_*), each fed where its traffic comes from. A conversation's is its socket
 * writes (counted by the socket paths, `conversation.write`); an inbox's is where its user is
 * connected from, sampled at every check from the inboxes this node holds: each open inbox socket
 * counts for the region of the node that holds the client's socket, minWrites/6 (rounded up) per
 * check, so one socket open through the whole window (six checks) is the minimum traffic, as
 * `minWrites` socket writes are for a conversation.
 */
import type { ActorKind } from "../../actors/api.ts";
import type { BunActorSystem } from "../bun/BunActorSystem.ts";
import type { ClusterActorSystem } from "./ClusterActorSystem.ts";
import type { HomeMoves } from "./homeMoves.ts";
import { BUCKETS, MovePolicy, type MovePolicyOptions } from "./movePolicy.ts";
import type { Peers } from "./peers.ts";
import { edgeOf } from "./remoteSockets.ts";

export type AutomaticMoves = Record<ActorKind, MovePolicy>;

export function automaticMoves(o: MovePolicyOptions, region: string, cluster: ClusterActorSystem, moves: HomeMoves,
  local: Pick<BunActorSystem, "inboxSockets"> | null, peers: Pick<Peers, "regionOf">): AutomaticMoves {
  const policy = (kind: ActorKind) =>
    new MovePolicy(kind, o, region, (id) => cluster.owns(kind, id), (id, to) => moves.move(kind, id, to));
  const policies: AutomaticMoves = { conversation: policy("conversation"), inbox: policy("inbox") };
  const perSocket = Math.ceil(o.minWrites / BUCKETS);
  policies.inbox.onCheck = () => {
    if (!local) return;
    for (const [userId, sockets] of local.inboxSockets()) {
      if (!cluster.owns("inbox", userId)) continue;
      const from = [...sockets].map((conn) => {
        const edge = edgeOf(conn);
        return edge === undefined ? region : peers.regionOf(edge) || region;
      });
      // A user connected only here, and not counted already, cannot move: not tracked (most users).
      if (from.every((r) => r === region) && !policies.inbox.counts(userId)) continue;
      for (const r of from) policies.inbox.write(userId, r, perSocket);
    }
  };
  moves.onMoved = (kind, id) => policies[kind].moved(id);
  return policies;
}
