/**
 * Moving a conversation's home to another region (#15; docs/cluster.md "Moves"). On its owner:
 * 1. read the placement entry (its revision is what step 5 compares with);
 * 2. stop writes: calls and sockets are refused (callers retry, clients reconnect and resume), the
 *    actor closes its sockets and commits what it had accepted (ClusterActorSystem.pauseForMove);
 * 3. tombstone the old copy: from this commit on its database refuses every write to it, whoever
 *    sends it (actors/storage/moveFence.ts), so what step 4 reads is final;
 * 4. copy its rows, page by page, into the new region's primary (any node of that region writes
 *    them, under a tombstone of their own: a queue group on `<prefix>.region.<to>.import`), then
 *    check that the copy there is this attempt's and complete;
 * 5. switch the home: compare-and-set on the placement entry's revision from step 1
 *    (HomeRegions.move);
 * 6. delete the old rows (the tombstone stays) and give up the lease;
 * 7. tell every node (`<prefix>.homes.moved`), so cached homes and owners are replaced at once.
 * A failure before step 5 lifts the tombstone: the conversation serves where it was. A tombstone is
 * otherwise lifted only by `confirmMoved`. Seqs, the epoch and the clientIds travel with the log:
 * clients resume at the new home with no gap or duplicate.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { isNexusError, NexusError } from "../../protocol/index.ts";
import type { Sql } from "../../actors/storage/sql.ts";
import { clearMoved, exportConversation, importedCopy, importPage, markMoved, retireConversation, type ImportAttempt, type TransferPage } from "../../actors/storage/conversationTransfer.ts";
import { moveStamp } from "../../actors/storage/moveFence.ts";
import type { ClusterActorSystem } from "./ClusterActorSystem.ts";
import type { HomeRegions, PlacedHome } from "./homeRegions.ts";

/** Per request of a move (a page to import, the check of the copy). Writes are paused meanwhile,
 *  so a target region that does not answer fails the move soon (its tombstone lifted, writes
 *  resume here) rather than after 30 s (chaos seed 37: a move into a region whose NATS was down
 *  held a conversation's writes ~25 s). A page's import takes milliseconds. */
const REQUEST_TIMEOUT_MS = 5_000;

export interface MoveResult {
  from: string;
  to: string;
  /** From the moment writes stopped to the broadcast of the new home. */
  pausedMs: number;
}

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

export class HomeMoves {
  private subs: Subscription[] = [];
  /**
   * A load found this region's copy tombstoned: must it stay so (true: the load is refused, callers
   * retry and are routed to the home)? Only this region's owner of the conversation, while not moving
   * it, may lift a tombstone (false), and only when the placement store names this region: the copy
   * left behind by a move that never switched, or the copy a move brought here. The entry is written
   * again first (HomeRegions.reassert), so a move still under way elsewhere, which read the entry
   * before, can no longer switch it: the lifted copy stays the only one served.
   */
  async confirmMoved(id: string, _region: string): Promise<boolean> {
    if (!this.p.cluster.owns("conversation", id)) return true;
    for (let attempt = 0; attempt < 5; attempt++) {
      const placed = await placement(this.p.homes.entry("conversation", id), id);
      if (placed === null || placed.region !== this.p.region) {
        if (placed) this.p.homes.learn("conversation", id, placed.region);
        this.p.cluster.movedAway("conversation", id);
        return true;
      }
      if (await placement(this.p.homes.reassert("conversation", id, placed), id)) return false;
    }
    return true;
  }

  /** Conversations being moved by this node now. */
  private readonly underWay = new Set<string>();
  /** Moves completed here (metrics). */
  moved = 0;
  /** A conversation moved, here or elsewhere (the broadcast): the automatic policy cools down. */
  onMoved: ((id: string) => void) | undefined;

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
        const req = msg.json<{ id: string; page?: TransferPage; attempt: ImportAttempt }>();
        if (!req.page) return importedCopy(this.p.sql, req.id);
        await importPage(this.p.sql, req.id, req.page, req.attempt);
        return true;
      });
    } }));
    this.subs.push(nc.subscribe(this.subject.moveOn(this.p.node), { callback: (err, msg) => {
      if (err) return;
      void this.answer(msg, () => {
        const { id, to } = msg.json<{ id: string; to: string }>();
        return this.moveHere(id, to);
      });
    } }));
    this.subs.push(nc.subscribe(this.subject.moved, { callback: (err, msg) => {
      if (err) return;
      const { id, region } = msg.json<{ id: string; region: string }>();
      this.p.homes.learn("conversation", id, region);
      this.p.cluster.forget("conversation", id);
      this.p.cluster.dropLocal("conversation", id);
      this.onMoved?.(id);
    } }));
  }

  stop(): void {
    for (const s of this.subs) s.unsubscribe();
  }

  /** Move a conversation's home to `to`, from whichever node owns it now (an operator's command). */
  async move(id: string, to: string): Promise<MoveResult> {
    if (!this.p.regions().includes(to)) throw new NexusError("bad_request", `no region named ${to} in this cluster (known: ${this.p.regions().join(", ")})`);
    for (let attempt = 1; ; attempt++) {
      const owner = await this.p.cluster.ownerOf("conversation", id);
      if (owner === this.p.node) return this.moveHere(id, to);
      try {
        return await this.request<MoveResult>(this.subject.moveOn(owner), { id, to });
      } catch (e) {
        if (isNexusError(e) || attempt >= 3) throw e;
        this.p.cluster.forget("conversation", id); // the owner changed meanwhile: look again
      }
    }
  }

  private async moveHere(id: string, to: string): Promise<MoveResult> {
    const { cluster, region: from } = this.p;
    if (to === from) return { from, to, pausedMs: 0 };
    if (!cluster.owns("conversation", id)) throw new NexusError("unavailable", `conversation ${id} is not owned here any more; try again`);
    // One move of a conversation at a time (an operator's and the policy's could otherwise both pass
    // the check above and overwrite each other's tombstone).
    if (this.underWay.has(id)) throw new NexusError("conflict", `conversation ${id} is already moving; try again`);
    this.underWay.add(id);
    try {
      return await this.moveOwned(id, to);
    } finally {
      this.underWay.delete(id);
    }
  }

  private async moveOwned(id: string, to: string): Promise<MoveResult> {
    const { cluster, region: from } = this.p;
    // Read before the fence: a re-assertion of the home after this (confirmMoved) defeats the move.
    const placed = await placement(this.p.homes.entry("conversation", id), id);
    if (placed?.region !== from) throw new NexusError("conflict", `the home of ${id} is ${placed?.region ?? "unset"}, not ${from}; not moved`);
    const t0 = performance.now();
    await cluster.pauseForMove("conversation", id);
    const stamp = moveStamp();
    let moved = false;
    try {
      // The fence first: any commit to this copy after it is refused by the database, so the copy
      // read below is final, whatever another process still believes it owns.
      await markMoved(this.p.sql, id, to, stamp);
      const sent = { events: 0, lastSeq: 0 };
      let first = true;
      for await (const page of exportConversation(this.p.sql, id)) {
        await this.request(this.subject.importTo(to), { id, page, attempt: { stamp, to, first } });
        first = false;
        if (page.table === "events") {
          sent.events += page.rows.length;
          const seq = page.columns.indexOf("seq");
          for (const r of page.rows) sent.lastSeq = Math.max(sent.lastSeq, Number(r[seq]));
        }
      }
      if (first) throw new NexusError("not_found", `no conversation ${id}`);
      const copy = await this.request<{ stamp: number | null; events: number; lastSeq: number }>(this.subject.importTo(to), { id, attempt: { stamp, to, first: false } });
      if (copy.stamp !== stamp || copy.events !== sent.events || copy.lastSeq !== sent.lastSeq)
        throw new NexusError("unavailable", `move of ${id}: the copy in ${to} is not this attempt's (${JSON.stringify(copy)} for ${JSON.stringify({ stamp, ...sent })}); not moved`);
      moved = await this.switchHome(id, placed, to);
      if (!moved) throw new NexusError("conflict", `the home of ${id} changed meanwhile; not moved`);
      try {
        await retireConversation(this.p.sql, id);
      } catch (e) {
        // Unreachable garbage behind its tombstone: loads of it are refused (see conversationTransfer.ts).
        console.error(`[cluster] moved ${id} to ${to}, but deleting its old rows in ${from} failed`, e);
      }
      this.p.nc.publish(this.subject.moved, encode({ id, region: to }));
      this.moved++;
      this.onMoved?.(id);
      return { from, to, pausedMs: Math.round(performance.now() - t0) };
    } catch (e) {
      // Not switched (known): this copy is the conversation again. Switched or not known: the
      // tombstone stays, and the next load here settles it (confirmMoved).
      // (A tombstone whose own commit failed with an unknown outcome may exist too: lifted the same way.)
      if (!moved && !(e instanceof SwitchUnknown))
        await clearMoved(this.p.sql, id, stamp).catch((err) => console.error(`[cluster] move of ${id}: lifting its tombstone failed (the next load settles it)`, err));
      if (e instanceof SwitchUnknown) throw e.error;
      if (isNexusError(e)) throw e;
      console.error(`[cluster] move of ${id} to ${to} failed`, e);
      throw new NexusError("unavailable", `move of ${id}: ${(e as Error)?.message ?? e}; not moved, try again`);
    } finally {
      cluster.endMove("conversation", id, moved);
    }
  }

  /** Compare-and-set of the home. An error leaves it unknown whether the write landed, so the entry
   *  is read back; if even that fails, SwitchUnknown (the tombstone stays). */
  private async switchHome(id: string, seen: PlacedHome, to: string): Promise<boolean> {
    try {
      await this.p.homes.move("conversation", id, seen, to);
      return true;
    } catch (e) {
      const now = await this.p.homes.entry("conversation", id).catch(() => undefined);
      if (now === undefined) throw new SwitchUnknown(new NexusError("unavailable", `move of ${id}: the placement store did not answer (${(e as Error)?.message ?? e}); try again`));
      // Ours landed (the revision moved on with our value) — or it did not, and the entry is not ours.
      return now !== null && now.region === to && now.revision > seen.revision;
    }
  }

  private async request<T>(subject: string, body: unknown): Promise<T> {
    let res;
    try {
      res = await this.p.nc.request(subject, encode(body), { timeout: REQUEST_TIMEOUT_MS });
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
async function placement<T>(call: Promise<T>, id: string): Promise<T> {
  try {
    return await call;
  } catch (e) {
    throw new NexusError("unavailable", `conversation ${id}: the placement store did not answer (${(e as Error)?.message ?? e}); try again`);
  }
}

/** The compare-and-set's outcome is not known: the tombstone must stay (confirmMoved settles it). */
class SwitchUnknown extends Error {
  constructor(readonly error: NexusError) {
    super(error.message);
  }
}
