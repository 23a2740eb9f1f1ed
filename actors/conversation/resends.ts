/**
 * Resends: a client that lost its connection sends again with the same clientId, and must get the
 * original seq back, not a second copy. The pipeline's window of recent clientIds (clientIdWindow.ts)
 * answers most of them without storage; only clientIds older than the window are looked up, from
 * the client's `base` (the newest seq it had seen) or at most NO_BASE_WALK events back.
 */
import type { SqlConversationStore } from "../storage/sqlConversationStore.ts";
import type { ClientIdWindow } from "./clientIdWindow.ts";
import { idemKey, storageUnavailable, type Op, type OpResult } from "./state.ts";

/** How far below the in-memory window a write without `base` is looked for (events). The walk runs
 *  on the event loop for every such write once a conversation outgrows the window: 50,000 events
 *  cost ~6 ms per send, so one client leaving `base` out could take a tenth of a node at its rate
 *  limit. 5,000 cost ~0.6 ms. */
export const NO_BASE_WALK = 5_000;

/** What the check needs from the pipeline (commitPipeline.ts). */
export interface Resends {
  /** The conversation, for logs. */
  readonly id: string;
  readonly clientIds: ClientIdWindow;
  readonly store: Pick<SqlConversationStore, "findClientIds">;
  succeed(op: Op, r: OpResult): void;
  fail(op: Op, e: unknown): void;
  /** Take an op's clientId out of the window again (it turned out to be stored already). */
  unpend(op: Op): void;
  /** `op` resends `original`, which is still committing: it gets `original`'s answer. */
  twin(original: Op, op: Op): void;
}

/** Answer resends of known clientIds with their original seq; they are not stored again. Storage
 *  is searched only for clientIds the window cannot vouch for (clientIdWindow.ts). A resend of an
 *  op still committing (or earlier in this batch) becomes its twin. */
export async function dropResends(r: Resends, ops: Op[]): Promise<Op[]> {
  const fresh: Op[] = [];
  let unknown: Op[] | null = null;
  let from = Infinity;
  for (const op of ops) {
    const d = op.draft;
    if (!("clientId" in d)) {
      fresh.push(op);
      continue;
    }
    const hit = r.clientIds.get(d.author, d.clientId);
    if (hit) {
      if (hit.op) r.twin(hit.op, op);
      else r.succeed(op, { seq: hit.seq, ts: hit.ts, duplicate: true });
      continue;
    }
    op.entry = r.clientIds.pend(d.author, d.clientId, op);
    fresh.push(op);
    if (!r.clientIds.covers(op.base)) {
      (unknown ??= []).push(op);
      // Without a base the walk is bounded: reads run on the event loop, and a full walk of a
      // million-event log per send would stall every conversation on this node.
      from = Math.min(from, op.base ?? Math.max(0, r.clientIds.floor - NO_BASE_WALK));
    }
  }
  if (!unknown) return fresh;
  const keys = unknown.map((op) => ({ author: op.draft.author, clientId: (op.draft as { clientId: string }).clientId }));
  let stored: Map<string, [number, number]>;
  try {
    stored = await r.store.findClientIds(keys, from, r.clientIds.floor);
  } catch (e) {
    console.error(`[conversation ${r.id}] clientId lookup failed`, e);
    for (const op of fresh) r.fail(op, storageUnavailable());
    return [];
  }
  if (stored.size === 0) return fresh;
  const found = new Set<Op>();
  for (const op of unknown) {
    const hit = stored.get(idemKey(op.draft.author, (op.draft as { clientId: string }).clientId));
    if (!hit) continue;
    r.unpend(op);
    r.succeed(op, { seq: hit[0], ts: hit[1], duplicate: true });
    found.add(op);
  }
  return fresh.filter((op) => !found.has(op));
}
