/**
 * A load that finds its copy tombstoned (cluster mode: the actor moved, or is moving, to another
 * region's database) asks the host whether the move is real (hosts/cluster/homeMoves.ts
 * `confirmMoved`). Its answer decides what the load does and what callers are told.
 */
import { NexusError } from "../../protocol/index.ts";

export type MovedCheck =
  /** This copy is the actor after all (the move never switched, or this is the copy it brought
   *  here): the tombstone is lifted and the load goes on. */
  | { current: true }
  /** Not served here. `home`: where the placement store says the actor lives now, given only when
   *  this node has given the actor up, so a caller may route on there at once; null when unknown. */
  | { current: false; home: string | null };

/** The host's check of a tombstone naming `region`. */
export type ConfirmMoved = (region: string) => Promise<MovedCheck>;

/** The load's refusal: `unavailable` (retry), with `details.movedTo` only when the host named the
 *  home (a tombstone's region can be stale: a later move, or an import naming this very region). */
export function movedError(what: string, tombstoneRegion: string, check: MovedCheck | undefined): NexusError {
  const home = check === undefined ? tombstoneRegion : check.current ? null : check.home;
  return new NexusError("unavailable", `${what} moved to region ${home ?? tombstoneRegion}; try again`, home ? { movedTo: home } : undefined);
}
