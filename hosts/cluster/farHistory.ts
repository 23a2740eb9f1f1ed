/**
 * History pages of conversations homed in another region, read from this node's replica of that
 * region's primary (storage/farReplicas.ts) instead of being shipped across the WAN by the owner;
 * and, while that region is lost, read-only pages from the replica as it is. docs/cluster.md
 * "Replicas on every node" and "What losing a region means".
 *
 * Authorization stays with the actor. Membership changes are events in the actor's state, and a
 * replica may trail them (a member just removed would still be listed), so on the normal path the
 * owner is still asked — `info`, which checks membership exactly as `history` does (members only,
 * no admin bypass) and gives the newest committed seq — and only the rows are read locally, up to
 * that seq (SqlConversationStore.page: the replica must hold that very event, else it syncs, else
 * the owner serves the page as before). What is saved is the page's rows crossing the WAN and the
 * owner's read, not the round trip. Only when the home region cannot answer at all (its nodes gone
 * or partitioned away: the call fails `unavailable`) does the replica's own members table decide,
 * and the page is marked `readOnly` (X-Nexus-Read-Only: 1): it may trail, and writes still get 503.
 */
import { isNexusError, NexusError } from "../../protocol/index.ts";
import type { ActorsClient, ConversationApi, HistoryPage } from "../../actors/api.ts";
import type { Caller } from "../../actors/ports.ts";
import type { ReplicaReads, Sql } from "../../actors/storage/sql.ts";
import { SqlConversationStore } from "../../actors/storage/sqlConversationStore.ts";
import type { EmbeddedReplica } from "./storage/embeddedReplica.ts";
import type { FarReplicas } from "./storage/farReplicas.ts";

export interface FarHistoryDeps {
  /** This node's region: its own conversations are read as before. */
  region: string;
  /** The conversation's home region (the placement store, cached). */
  homeOf(id: string): Promise<string>;
  replicas: FarReplicas;
  /** Has this node heard (peers' heartbeats) any node of `region` lately? */
  regionHeard(region: string): boolean;
  /** Longer than a heartbeat interval: a node that just started has heard its peers by then. */
  heardWithinMs: number;
}

/** The replica does not hold what the page needs (it trails and could not catch up): ask the owner. */
class NotInReplica extends Error {}

export class FarHistory {
  /** Pages served from a far replica, fresh (up to the owner's newest seq) or read-only (home lost),
   *  and pages of far-homed conversations the owner had to serve after all. */
  readonly stats = { fresh: 0, stale: 0, fallbacks: 0 };
  /** One read-only Sql per replica (its store's search indexer is cached per Sql object). */
  private readonly views = new WeakMap<EmbeddedReplica, Sql>();

  constructor(private readonly d: FarHistoryDeps) {}

  get replicas(): FarReplicas {
    return this.d.replicas;
  }

  /** `inner` with `conversation(id).history` answered as above; everything else unchanged. */
  client(inner: ActorsClient): ActorsClient {
    return {
      conversation: (id) => {
        const api = inner.conversation(id);
        return { ...api, history: (caller, before, limit) => this.history(id, api, caller, before, limit) } satisfies ConversationApi;
      },
      inbox: (userId) => inner.inbox(userId),
    };
  }

  private async history(id: string, api: ConversationApi, caller: Caller, before: number | undefined, limit: number): Promise<HistoryPage> {
    // A placement store that does not answer: the call itself says so (retries, `unavailable`).
    const home = await this.d.homeOf(id).catch(() => null);
    if (home === null || home === this.d.region || !this.d.replicas.has(home)) return api.history(caller, before, limit);
    let newest: number;
    try {
      newest = (await this.unlessLost(home, api.info(caller))).lastSeq; // throws not_member / not_found as history would
    } catch (e) {
      if (!isNexusError(e) || e.code !== "unavailable") throw e;
      return this.stale(id, home, caller, before, limit, e);
    }
    const replica = await this.d.replicas.get(home);
    if (replica) {
      try {
        const page = await this.store(replica, id).page(before, limit, newest);
        this.stats.fresh++;
        return page;
      } catch (e) {
        if (!(e instanceof NotInReplica)) console.error(`[far-history] replica of ${home} failed (${(e as Error)?.message ?? e}); asking the owner`);
      }
    }
    this.stats.fallbacks++;
    return api.history(caller, before, limit);
  }

  /** `call`, or `unavailable` as soon as no node of `region` is heard any more. A call to a node
   *  that was just killed in another region is not refused at once (no "no responders" across a
   *  gateway): it would wait out the RPC timeout (10 s, measured) before the replica could answer. */
  private unlessLost<T>(region: string, call: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setInterval> | undefined;
    const lost = new Promise<never>((_, reject) => {
      const since = Date.now();
      timer = setInterval(() => {
        if (Date.now() - since >= this.d.heardWithinMs && !this.d.regionHeard(region))
          reject(new NexusError("unavailable", `no node of region ${region} is heard from`));
      }, 100);
    });
    return Promise.race([call, lost]).finally(() => clearInterval(timer));
  }

  /** The home region does not answer: the replica as it is, for whom its members table lists. */
  private async stale(id: string, home: string, caller: Caller, before: number | undefined, limit: number, cause: NexusError): Promise<HistoryPage> {
    const replica = await this.d.replicas.get(home);
    if (!replica) throw cause;
    let conv: unknown[], member: unknown[];
    try {
      [conv, member] = await Promise.all([
        replica.all("SELECT 1 AS x FROM conversations WHERE id = ?", [id]),
        replica.all("SELECT 1 AS x FROM members WHERE conv_id = ? AND user_id = ?", [id, caller.userId]),
      ]);
    } catch {
      throw cause; // e.g. a replica made before the tables were
    }
    if (conv.length === 0) throw new NexusError("not_found", "no such conversation");
    if (member.length === 0) throw new NexusError("not_member", "not a member of this conversation");
    const page = await this.store(replica, id).stalePage(before, limit);
    this.stats.stale++;
    return { ...page, readOnly: true };
  }

  private store(replica: EmbeddedReplica, id: string): SqlConversationStore {
    let sql = this.views.get(replica);
    if (!sql) this.views.set(replica, (sql = replicaOnly(replica)));
    return new SqlConversationStore(sql, id);
  }
}

/** A Sql whose only data is the replica: the store reads the replica when it holds what is asked,
 *  and where it would go to the primary instead (this node has no connection to that region's
 *  primary) the read fails with NotInReplica, and the owner is asked. Nothing can be written. */
function replicaOnly(replica: ReplicaReads): Sql {
  const notHere = () => Promise.reject(new NotInReplica("the replica does not hold it"));
  return { replica, all: notHere, first: notHere, run: notHere, batch: notHere, migrate: notHere };
}
