/**
 * Moving a conversation's home to another region (#15; docs/cluster.md "Moves"). On its owner:
 * 1. stop writes: calls and sockets are refused (callers retry, clients reconnect and resume), the
 *    actor closes its sockets and commits what it had accepted (ClusterActorSystem.pauseForMove);
 * 2. copy its rows, page by page, into the new region's primary (any node of that region writes
 *    them: a queue group on `<prefix>.region.<to>.import`);
 * 3. switch the home: compare-and-set on its placement entry (HomeRegions.move);
 * 4. retire the old copy (rows deleted, a tombstone names the new home) and give up the lease;
 * 5. tell every node (`<prefix>.homes.moved`), so cached homes and owners are replaced at once.
 * A failure before step 3 leaves the conversation where it was, serving again. Seqs, the epoch and
 * the clientIds travel with the log: clients resume at the new home with no gap or duplicate.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { isNexusError, NexusError } from "../../protocol/index.ts";
import type { Sql } from "../../actors/storage/sql.ts";
import { exportConversation, importPage, retireConversation, type TransferPage } from "../../actors/storage/conversationTransfer.ts";
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
      await homes.move("conversation", id, from, to);
      moved = true;
      try {
        await retireConversation(this.p.sql, id, to, Date.now());
      } catch (e) {
        // The home has switched; the old rows are only unreachable garbage without their tombstone.
        console.error(`[cluster] moved ${id} to ${to}, but retiring its copy in ${from} failed`, e);
      }
      this.p.nc.publish(this.subject.moved, encode({ id, region: to }));
      this.moved++;
      return { from, to, pausedMs: Math.round(performance.now() - t0) };
    } finally {
      cluster.endMove("conversation", id, moved);
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
