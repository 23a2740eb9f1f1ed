/**
 * When a conversation's home region counts as lost, for what this node then serves read-only from
 * its replica of that region's primary (farHistory.ts for history pages, farSessions.ts for
 * sockets). One rule for both, so a page and a socket of the same conversation agree: the home is
 * lost once a call into it fails `unavailable` (no node of it answers, or it cannot place the actor),
 * or once no node of the region has been heard (heartbeats, peers.ts) while a call waited.
 */
import { NexusError } from "../../protocol/index.ts";

export interface RegionHearing {
  /** Has this node heard (peers' heartbeats) any node of `region` lately? */
  regionHeard(region: string): boolean;
  /** Longer than a heartbeat interval: a node that just started has heard its peers by then. */
  heardWithinMs: number;
}

/** `call`, or `unavailable` as soon as no node of `region` is heard any more. A call to a node
 *  that was just killed in another region is not refused at once (no "no responders" across a
 *  gateway): it would wait out the RPC timeout (10 s, measured) before the replica could answer. */
export function unlessLost<T>(h: RegionHearing, region: string, call: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setInterval> | undefined;
  const lost = new Promise<never>((_, reject) => {
    const since = Date.now();
    timer = setInterval(() => {
      if (Date.now() - since >= h.heardWithinMs && !h.regionHeard(region))
        reject(new NexusError("unavailable", `no node of region ${region} is heard from`));
    }, 100);
  });
  return Promise.race([call, lost]).finally(() => clearInterval(timer));
}
