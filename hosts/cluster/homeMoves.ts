/**
 * Moving a conversation's home to another region (#15; docs/cluster.md "Moves"). On its owner:
 * 1. stop writes: calls and sockets are refused (callers retry, clients reconnect and resume), the
 *    actor closes its sockets and commits what it had accepted (ClusterActorSystem.pauseForMove);
 * 2. copy its rows, page by page, into the new region's primary (any node of that region writes
 *    them: a queue group on `<prefix>.region.<to>.import`);
 * 3. tombstone the old copy (loads of it are refused from then on), then switch the home:
 *    compare-and-set on its placement entry (HomeRegions.move);
 * 4. delete the old rows and give up the lease;
 * 5. tell every node (`<prefix>.homes.moved`), so cached homes and owners are replaced at once.
 * A failure before step 3 leaves the conversation where it was, serving again. Seqs, the epoch and
 * the clientIds travel with the log: clients resume at the new home with no gap or duplicate.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { isNexusError, NexusError } from "../../protocol/index.ts";
import type { Sql } from "../../actors/storage/sql.ts";
import { clearMoved, exportConversation, importPage, markMoved, retireConversation, type TransferPage } from "../../actors/storage/conversationTransfer.ts";
import type { ClusterActorSystem } from "./ClusterActorSystem.ts";
import type { HomeRegions } from "./homeRegions.ts";

const REQUEST_TIMEOUT_MS = 30_000;

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
   * A load found this region's copy tombstoned for `region`: is the move real? The placement entry,
   * read afresh, says; a tombstone of a move that never switched the home is cleared by the caller.
   */
  async confirmMoved(id: string, region: string): Promise<boolean> {
    const home = await this.p.homes.current("conversation", id);
    if (home === null || home === this.p.region) return false;
    this.p.cluster.forget("conversation", id);
    return true;
  }

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
        const { id, page, fresh } = msg.json<{ id: string; page: TransferPage; fresh: boolean }>();
        await importPage(this.p.sql, id, page, fresh);
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
    const { cluster, homes, region: from } = this.p;
    if (to === from) return { from, to, pausedMs: 0 };
    if (!cluster.owns("conversation", id)) throw new NexusError("unavailable", `conversation ${id} is not owned here any more; try again`);
    const t0 = performance.now();
    await cluster.pauseForMove("conversation", id);
    let moved = false;
    try {
      let fresh = true;
      for await (const page of exportConversation(this.p.sql, id)) {
        await this.request(this.subject.importTo(to), { id, page, fresh });
        fresh = false;
      }
      if (fresh) throw new NexusError("not_found", `no conversation ${id}`);
      // The tombstone goes first: from here on this copy is never served again unless the switch
      // below is known not to have happened (then the tombstone is cleared).
      await markMoved(this.p.sql, id, to, Date.now());
      moved = await this.switchHome(id, from, to);
      if (!moved) {
        await clearMoved(this.p.sql, id).catch((e) => console.error(`[cluster] move of ${id}: clearing its tombstone failed (the next load settles it)`, e));
        throw new NexusError("conflict", `the home of ${id} changed meanwhile; not moved`);
      }
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
    } finally {
      cluster.endMove("conversation", id, moved);
    }
  }

  /** Compare-and-set of the home. An error leaves it unknown whether the write landed, so the entry
   *  is read back; if even that fails, the tombstone stays and the next load settles it. */
  private async switchHome(id: string, from: string, to: string): Promise<boolean> {
    try {
      await this.p.homes.move("conversation", id, from, to);
      return true;
    } catch (e) {
      const now = await this.p.homes.current("conversation", id).catch(() => undefined);
      if (now === to) return true;
      if (now === undefined) throw new NexusError("unavailable", `move of ${id}: the placement store did not answer (${(e as Error)?.message ?? e}); try again`);
      return false;
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
