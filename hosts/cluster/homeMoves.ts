/**
 * Moving an actor's home (a conversation's, or a user's inbox's) to another region (#15;
 * docs/cluster.md "Moves"). Both kinds move by these steps; what differs is their tables
 * (actors/storage/movableKinds.ts). On its owner:
 * 1. read the placement entry (its revision is what step 5 compares with);
 * 2. stop writes: calls and sockets are refused (callers retry, clients reconnect and resume), the
 *    actor closes its sockets and writes what it had accepted or held behind
 *    (ClusterActorSystem.pauseForMove);
 * 3. tombstone the old copy: from this commit on its database refuses every write to it, whoever
 *    sends it (actors/storage/moveFence.ts), so what step 4 reads is final;
 * 4. copy its rows, page by page, into the new region's primary (any node of that region writes
 *    them, under a tombstone of their own: a queue group on `<prefix>.region.<to>.import`), then
 *    check that the copy there is this attempt's and complete (its rows per table);
 * 5. switch the home: compare-and-set on the placement entry's revision from step 1
 *    (HomeRegions.move);
 * 6. delete the old rows (the tombstone stays) and give up the lease;
 * 7. tell every node (`<prefix>.homes.moved`), so cached homes and owners are replaced at once.
 * A failure before step 5 lifts the tombstone: the actor serves where it was. A tombstone is
 * otherwise lifted only by `confirmMoved`. Rows travel as they are (a conversation's seqs, epoch
 * and clientIds; an inbox's summaries, settings and subscriptions): clients resume at the new home
 * with no gap or duplicate.
 */
import type { MovedCheck } from "../../actors/storage/movedCheck.ts";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { isNexusError, NexusError } from "../../protocol/index.ts";
import type { Sql } from "../../actors/storage/sql.ts";
import type { ActorKind } from "../../actors/api.ts";
import { clearMoved, countRows, emptyPage, exportRows, importedCopy, importPage, markMoved, retireRows, type ImportAttempt, type RowCounts,
  type TransferPage } from "../../actors/storage/actorTransfer.ts";
import { MOVABLE } from "../../actors/storage/movableKinds.ts";
import { moveStamp } from "../../actors/storage/moveFence.ts";
import type { MoveResult } from "../../edge/host.ts";
import type { ClusterActorSystem } from "./ClusterActorSystem.ts";
import type { HomeRegions, PlacedHome } from "./homeRegions.ts";

/** Per request of a move (a page to import, the check of the copy). Writes are paused meanwhile,
 *  so a target region that does not answer fails the move soon (its tombstone lifted, writes
 *  resume here) rather than after 30 s (chaos seed 37: a move into a region whose NATS was down
 *  held a conversation's writes ~25 s). A page's import takes milliseconds. */
const REQUEST_TIMEOUT_MS = 5_000;
/** The whole move run on the owner for another node (an operator's command): its pages and the
 *  check each have REQUEST_TIMEOUT_MS, so this only bounds how long the caller waits; past it the
 *  outcome is not known to the caller (the owner may still finish). */
const MOVE_ON_TIMEOUT_MS = 60_000;

interface Parts {
  nc: NatsConnection;
  prefix: string;
  node: string;
  region: string;
  homes: HomeRegions;
  cluster: ClusterActorSystem;
  /** This region's primary. */
  sql: Sql;
  /** Regions the cluster has (from the peers' heartbeats, this one included). */
  regions: () => string[];
}

type Reply<T> = { ok: T } | { error: { code: string; message: string } };

const encode = (v: unknown) => JSON.stringify(v);

/** A kind named in a bus message, checked before it picks tables (another build's node could send one we do not know). */
function movable(k: unknown): ActorKind {
  if (k !== "conversation" && k !== "inbox") throw new NexusError("bad_request", `move: no movable kind ${String(k)}`);
  return k;
}

export class HomeMoves {
  private subs: Subscription[] = [];
  /**
   * A load found this region's copy tombstoned: must it stay so (true: the load is refused, callers
   * retry and are routed to the home)? Only this region's owner of the actor, while not moving it,
   * may lift a tombstone (false), and only when the placement store names this region: the copy
   * left behind by a move that never switched, or the copy a move brought here. The entry is written
   * again first (HomeRegions.reassert), so a move still under way elsewhere, which read the entry
   * before, can no longer switch it: the lifted copy stays the only one served.
   */
  async confirmMoved(kind: ActorKind, id: string, _region: string): Promise<MovedCheck> {
    if (!this.p.cluster.owns(kind, id)) return { current: false, home: null };
    for (let attempt = 0; attempt < 5; attempt++) {
      const placed = await placement(this.p.homes.entry(kind, id), kind, id);
      if (placed === null || placed.region !== this.p.region) {
        if (placed) this.p.homes.learn(kind, id, placed.region);
        this.p.cluster.movedAway(kind, id);
        return { current: false, home: placed?.region ?? null };
      }
      if (await placement(this.p.homes.reassert(kind, id, placed), kind, id)) return { current: true };
    }
    return { current: false, home: null };
  }

  /** Actors being moved by this node now, as `${kind}:${id}`. */
  private readonly underWay = new Set<string>();
  /** Moves completed here (metrics). */
  moved = 0;
  /** An actor moved, here or elsewhere (the broadcast): the automatic policy cools down. */
  onMoved: ((kind: ActorKind, id: string) => void) | undefined;

  private readonly subject: { importTo(region: string): string; moveOn(node: string): string; moved: string };

  constructor(private readonly p: Parts) {
    this.subject = {
      importTo: (region) => `${p.prefix}.region.${region}.import`,
      moveOn: (node) => `${p.prefix}.node.${node}.move`,
      moved: `${p.prefix}.homes.moved`,
    };
  }

  start(): void {
    const { nc } = this.p;
    // Any node of this region writes pages into this region's primary.
    this.subs.push(nc.subscribe(this.subject.importTo(this.p.region), { queue: "import", callback: (err, msg) => {
      if (err) return;
      void this.answer(msg, async () => {
        const req = msg.json<{ k: ActorKind; id: string; page?: TransferPage; attempt: ImportAttempt }>();
        const kind = MOVABLE[movable(req.k)];
        if (!req.page) return importedCopy(kind, this.p.sql, req.id);
        await importPage(kind, this.p.sql, req.id, req.page, req.attempt);
        return true;
      });
    } }));
    this.subs.push(nc.subscribe(this.subject.moveOn(this.p.node), { callback: (err, msg) => {
      if (err) return;
      void this.answer(msg, () => {
        const { k, id, to } = msg.json<{ k: ActorKind; id: string; to: string }>();
        return this.moveHere(movable(k), id, to);
      });
    } }));
    this.subs.push(nc.subscribe(this.subject.moved, { callback: (err, msg) => {
      if (err) return;
      const { k, id, region } = msg.json<{ k: ActorKind; id: string; region: string }>();
      if (k !== "conversation" && k !== "inbox") return;
      this.p.homes.learn(k, id, region);
      this.p.cluster.forget(k, id);
      this.p.cluster.dropLocal(k, id);
      this.onMoved?.(k, id);
    } }));
  }

  stop(): void {
    for (const s of this.subs) s.unsubscribe();
  }

  /** Move an actor's home to `to`, from whichever node owns it now (an operator's command). */
  async move(kind: ActorKind, id: string, to: string): Promise<MoveResult> {
    if (!this.p.regions().includes(to)) throw new NexusError("bad_request", `no region named ${to} in this cluster (known: ${this.p.regions().join(", ")})`);
    for (let attempt = 1; ; attempt++) {
      const owner = await this.p.cluster.ownerOf(kind, id);
      if (owner === this.p.node) return this.moveHere(kind, id, to);
      try {
        return await this.request<MoveResult>(this.subject.moveOn(owner), { k: kind, id, to }, MOVE_ON_TIMEOUT_MS);
      } catch (e) {
        if (isNexusError(e) || attempt >= 3) throw e;
        this.p.cluster.forget(kind, id); // the owner changed meanwhile: look again
      }
    }
  }

  private async moveHere(kind: ActorKind, id: string, to: string): Promise<MoveResult> {
    const { cluster, region: from } = this.p;
    if (to === from) return { from, to, pausedMs: 0 };
    if (!cluster.owns(kind, id)) throw new NexusError("unavailable", `${kind} ${id} is not owned here any more; try again`);
    // One move of an actor at a time (an operator's and the policy's could otherwise both pass the
    // check above and overwrite each other's tombstone).
    const key = `${kind}:${id}`;
    if (this.underWay.has(key)) throw new NexusError("conflict", `${kind} ${id} is already moving; try again`);
    this.underWay.add(key);
    try {
      return await this.moveOwned(kind, id, to);
    } finally {
      this.underWay.delete(key);
    }
  }

  private async moveOwned(kind: ActorKind, id: string, to: string): Promise<MoveResult> {
    const { cluster, region: from } = this.p;
    const k = MOVABLE[kind];
    // Read before the fence: a re-assertion of the home after this (confirmMoved) defeats the move.
    const placed = await placement(this.p.homes.entry(kind, id), kind, id);
    if (placed?.region !== from) throw new NexusError("conflict", `the home of ${kind} ${id} is ${placed?.region ?? "unset"}, not ${from}; not moved`);
    const t0 = performance.now();
    const stamp = moveStamp();
    let moved = false;
    try {
      await cluster.pauseForMove(kind, id);
      // The fence first: any write to this copy after it is refused by the database, so the copy
      // read below is final, whatever another process still believes it owns.
      await markMoved(k, this.p.sql, id, to, stamp);
      const sent: RowCounts = {};
      let first = true;
      const copyPage = async (page: TransferPage) => {
        await this.request(this.subject.importTo(to), { k: kind, id, page, attempt: { stamp, to, first } });
        first = false;
        countRows(sent, page);
      };
      for await (const page of exportRows(k, this.p.sql, id)) await copyPage(page);
      if (first && k.mustExist) throw new NexusError("not_found", `no ${kind} ${id}`);
      // An empty inbox still gets its (empty, tombstoned) copy: the check below finds this attempt's.
      if (first) await copyPage(emptyPage(k));
      const copy = await this.request<{ stamp: number | null; rows: RowCounts }>(this.subject.importTo(to), { k: kind, id, attempt: { stamp, to, first: false } });
      if (copy.stamp !== stamp || !sameCounts(copy.rows, sent))
        throw new NexusError("unavailable", `move of ${kind} ${id}: the copy in ${to} is not this attempt's (${JSON.stringify(copy)} for ${JSON.stringify({ stamp, rows: sent })}); not moved`);
      moved = await this.switchHome(kind, id, placed, to);
      if (!moved) throw new NexusError("conflict", `the home of ${kind} ${id} changed meanwhile; not moved`);
      try {
        await retireRows(k, this.p.sql, id);
      } catch (e) {
        // Unreachable garbage behind its tombstone: loads of it are refused (see actorTransfer.ts).
        console.error(`[cluster] moved ${kind} ${id} to ${to}, but deleting its old rows in ${from} failed`, e);
      }
      this.p.nc.publish(this.subject.moved, encode({ k: kind, id, region: to }));
      this.moved++;
      this.onMoved?.(kind, id);
      return { from, to, pausedMs: Math.round(performance.now() - t0) };
    } catch (e) {
      // Not switched (known): this copy is the conversation again. Switched or not known: the
      // tombstone stays, and the next load here settles it (confirmMoved).
      // (A tombstone whose own commit failed with an unknown outcome may exist too: lifted the same way.)
      if (!moved && !(e instanceof SwitchUnknown))
        await clearMoved(k, this.p.sql, id, stamp).catch((err) => console.error(`[cluster] move of ${kind} ${id}: lifting its tombstone failed (the next load settles it)`, err));
      if (e instanceof SwitchUnknown) throw e.error;
      if (isNexusError(e)) throw e;
      console.error(`[cluster] move of ${kind} ${id} to ${to} failed`, e);
      throw new NexusError("unavailable", `move of ${kind} ${id}: ${(e as Error)?.message ?? e}; not moved, try again`);
    } finally {
      cluster.endMove(kind, id, moved);
    }
  }

  /** Compare-and-set of the home. An error leaves it unknown whether the write landed, so the entry
   *  is read back; if even that fails, SwitchUnknown (the tombstone stays). */
  private async switchHome(kind: ActorKind, id: string, seen: PlacedHome, to: string): Promise<boolean> {
    try {
      await this.p.homes.move(kind, id, seen, to);
      return true;
    } catch (e) {
      const now = await this.p.homes.entry(kind, id).catch(() => undefined);
      if (now === undefined) throw new SwitchUnknown(new NexusError("unavailable", `move of ${kind} ${id}: the placement store did not answer (${(e as Error)?.message ?? e}); try again`));
      // Ours landed (the revision moved on with our value) — or it did not, and the entry is not ours.
      return now !== null && now.region === to && now.revision > seen.revision;
    }
  }

  private async request<T>(subject: string, body: unknown, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    let res;
    try {
      res = await this.p.nc.request(subject, encode(body), { timeout: timeoutMs });
    } catch (e) {
      throw new NexusError("unavailable", `move: ${subject} did not answer (${(e as Error)?.message ?? e})`);
    }
    const reply = res.json<Reply<T>>();
    if ("error" in reply) throw new NexusError(reply.error.code as NexusError["code"], reply.error.message);
    return reply.ok;
  }

  private async answer<T>(msg: { respond(data: string): boolean }, run: () => Promise<T>): Promise<void> {
    let reply: Reply<T>;
    try {
      reply = { ok: await run() };
    } catch (e) {
      if (!isNexusError(e)) console.error("[cluster] move step failed", e);
      reply = { error: isNexusError(e) ? { code: e.code, message: e.message } : { code: "internal", message: String((e as Error)?.message ?? e) } };
    }
    msg.respond(encode(reply));
  }
}

/** A placement-store call; its failure (NATS down or slow) is `unavailable` (retry), not a bug. */
async function placement<T>(call: Promise<T>, kind: ActorKind, id: string): Promise<T> {
  try {
    return await call;
  } catch (e) {
    throw new NexusError("unavailable", `${kind} ${id}: the placement store did not answer (${(e as Error)?.message ?? e}); try again`);
  }
}

/** The same rows per table (tables with none left out on both sides). */
function sameCounts(a: RowCounts, b: RowCounts): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((t) => (a[t] ?? 0) === (b[t] ?? 0));
}

/** The compare-and-set's outcome is not known: the tombstone must stay (confirmMoved settles it). */
class SwitchUnknown extends Error {
  constructor(readonly error: NexusError) {
    super(error.message);
  }
}
