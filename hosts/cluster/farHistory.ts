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
 * Thread pages are served the same way while the home is lost (read-only, from the replica as it
 * is); otherwise by the owner as before. Search is not: it waits for the full-text index to cover
 * every message first (SearchIndexer.catchUp writes the index), which a replica cannot do, so it
 * stays `unavailable` while the home is lost.
 */
import { isNexusError, NexusError } from "../../protocol/index.ts";
import type { ActorsClient, ConversationApi, HistoryPage, ThreadPage } from "../../actors/api.ts";
import type { Caller } from "../../actors/ports.ts";
import type { ReplicaReads, Sql, SqlValue } from "../../actors/storage/sql.ts";
import { SqlConversationStore } from "../../actors/storage/sqlConversationStore.ts";
import { Threads } from "../../actors/conversation/threads.ts";
import type { EmbeddedReplica } from "./storage/embeddedReplica.ts";
import type { FarReplicas } from "./storage/farReplicas.ts";
import { unlessLost, type RegionHearing } from "./regionLoss.ts";

export interface FarHistoryDeps extends RegionHearing {
  /** This node's region: its own conversations are read as before. */
  region: string;
  /** The conversation's home region (the placement store, cached). */
  homeOf(id: string): Promise<string>;
  replicas: FarReplicas;
}

/** The replica does not hold what the page needs (it trails and could not catch up): ask the owner. */
class NotInReplica extends Error {}

export class FarHistory {
  /** Pages served from a far replica, fresh (up to the owner's newest seq) or read-only (home lost),
   *  and pages of far-homed conversations the owner had to serve after all. */
  readonly stats = { fresh: 0, stale: 0, fallbacks: 0, staleThreads: 0 };
  /** One read-only Sql per replica and kind (a store's search indexer is cached per Sql object). */
  private readonly views = new WeakMap<EmbeddedReplica, Sql>();
  private readonly asIs = new WeakMap<EmbeddedReplica, Sql>();

  constructor(private readonly d: FarHistoryDeps) {}

  get replicas(): FarReplicas {
    return this.d.replicas;
  }

  /** `inner` with `conversation(id).history` and `.thread` answered as above; everything else unchanged. */
  client(inner: ActorsClient): ActorsClient {
    return {
      conversation: (id) => {
        const api = inner.conversation(id);
        return { ...api, history: (caller, before, limit) => this.history(id, api, caller, before, limit),
          thread: (caller, root, after, limit) => this.thread(id, api, caller, root, after, limit) } satisfies ConversationApi;
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
      newest = (await unlessLost(this.d, home, api.info(caller))).lastSeq; // throws not_member / not_found as history would
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

  /** A thread page from the owner; while the home is lost, from the replica as it is (read-only). */
  private async thread(id: string, api: ConversationApi, caller: Caller, root: number, after: number | undefined, limit: number): Promise<ThreadPage> {
    const home = await this.d.homeOf(id).catch(() => null);
    if (home === null || home === this.d.region || !this.d.replicas.has(home)) return api.thread(caller, root, after, limit);
    try {
      return await unlessLost(this.d, home, api.thread(caller, root, after, limit));
    } catch (e) {
      if (!isNexusError(e) || e.code !== "unavailable") throw e;
      const replica = await this.staleMember(id, home, caller, e);
      // The actor's thread reads, on a store whose every read is the replica's (nothing to write:
      // no state, no counts to notify).
      const threads = new Threads({ id, store: new SqlConversationStore(this.view(this.asIs, replica, replicaAsIs), id),
        current: () => null, notify: () => {}, recent: () => undefined });
      const page = await threads.page(caller.userId, root, after, limit);
      this.stats.staleThreads++;
      return { ...page, readOnly: true };
    }
  }

  /** The home region does not answer: the replica as it is, for whom its members table lists. */
  private async stale(id: string, home: string, caller: Caller, before: number | undefined, limit: number, cause: NexusError): Promise<HistoryPage> {
    const replica = await this.staleMember(id, home, caller, cause);
    const page = await this.store(replica, id).stalePage(before, limit);
    this.stats.stale++;
    return { ...page, readOnly: true };
  }

  /** The replica of a lost home, once its members table lists the caller (else not_member or
   *  not_found, as the actor would say); `cause` when there is no replica to ask. */
  private async staleMember(id: string, home: string, caller: Caller, cause: NexusError): Promise<EmbeddedReplica> {
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
    return replica;
  }

  private store(replica: EmbeddedReplica, id: string): SqlConversationStore {
    return new SqlConversationStore(this.view(this.views, replica, replicaOnly), id);
  }

  private view(cache: WeakMap<EmbeddedReplica, Sql>, replica: EmbeddedReplica, make: (r: ReplicaReads) => Sql): Sql {
    let sql = cache.get(replica);
    if (!sql) cache.set(replica, (sql = make(replica)));
    return sql;
  }
}

/** A Sql whose only data is the replica: the store reads the replica when it holds what is asked,
 *  and where it would go to the primary instead (this node has no connection to that region's
 *  primary) the read fails with NotInReplica, and the owner is asked. Nothing can be written. */
function replicaOnly(replica: ReplicaReads): Sql {
  const notHere = () => Promise.reject(new NotInReplica("the replica does not hold it"));
  return { replica, all: notHere, first: notHere, run: notHere, batch: notHere, migrate: notHere };
}

/** A Sql that reads the replica as it is (the home is lost: nothing fresher can be had) and writes
 *  nothing: a write fails as an unreachable server does. */
function replicaAsIs(replica: ReplicaReads): Sql {
  const refuse = () => Promise.reject(new NexusError("storage_unavailable", "read-only: the home region is lost"));
  return { all: (q, a) => replica.all(q, a), first: async <T>(q: string, a?: SqlValue[]) => (await replica.all<T>(q, a))[0], run: refuse, batch: refuse, migrate: refuse };
}
