/**
 * "Who owns this actor?", asked of another region over NATS (the region's queue group answers,
 * claiming the actor for one of its nodes unless `peek`; ClusterActorSystem.start serves it).
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { NexusError } from "../../protocol/index.ts";
import type { ActorKind } from "../../actors/api.ts";
import type { Subjects } from "./wire.ts";

const LOCATE_TIMEOUT_MS = 5_000;
/** One request's wait: asked again after it, within LOCATE_TIMEOUT_MS. A request sent while a
 *  region's gateway comes back can be lost (measured: a region's NATS restarted, a's first locate into
 *  b after it waited out the whole 5 s and b was served again only ~5.9 s after the restart), and an
 *  answer normally takes milliseconds (a claim: one Redis round trip); asking twice is harmless. */
const LOCATE_ATTEMPT_MS = 1_000;

/** The region answered that the actor's home is another region (the asker's cached home is stale). */
export class HomeIsElsewhere extends Error {
  constructor(readonly region: string) {
    super(`the home is region ${region}`);
  }
}

/** The owner node ("" when `peek` and nobody holds it); `unavailable` when the region does not answer. */
export async function askRegion(nc: NatsConnection, subjects: Subjects, region: string, kind: ActorKind, id: string, peek = false): Promise<string> {
  let res;
  for (const giveUp = Date.now() + LOCATE_TIMEOUT_MS; !res; ) {
    try {
      res = await nc.request(subjects.locate(region), JSON.stringify({ k: kind, id, peek }),
        { timeout: Math.max(50, Math.min(LOCATE_ATTEMPT_MS, giveUp - Date.now())) });
    } catch (e) {
      const timedOut = /timeout/i.test(String((e as Error)?.message ?? e));
      if (!timedOut || Date.now() >= giveUp) throw new NexusError("unavailable", `no node of region ${region} answers (${(e as Error).message})`);
    }
  }
  const r = res.json<{ node?: string | null; home?: string; error?: string }>();
  if (r.home) throw new HomeIsElsewhere(r.home);
  if (peek && r.node === null) return "";
  if (!r.node) throw new NexusError("unavailable", `region ${region} could not place ${kind} ${id}: ${r.error}`);
  return r.node;
}
