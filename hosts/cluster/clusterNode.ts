/**
 * The parts of a cluster-mode node (hosts/cluster/config.ts): its region's libSQL server for the actors
 * homed there (LIBSQL_URL) and the accounts' one home (ACCOUNTS_LIBSQL_URL), NATS
 * for routing between nodes and regions, this region's Redis for leases and rate limits. startNode.ts
 * builds the same edge on top of either these parts or the single-node ones.
 *
 * A node that cannot renew its liveness in Redis stops at once (exit 1, for its supervisor to
 * restart it): peers may already have claimed its actors, and two writers for one conversation
 * must never both be acknowledging. Nothing it acknowledged is lost — acks follow commits. A node
 * that loses the bus (its region's NATS went away) stays up: it reconnects for as long as it takes,
 * serves what it owns to its own sockets meanwhile, refuses what needs the bus with `unavailable`,
 * and serves everything again as soon as the bus is back.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { connect } from "@nats-io/transport-node";
import { BunActorSystem } from "../bun/BunActorSystem.ts";
import { ClusterActorSystem } from "./ClusterActorSystem.ts";
import { clusterSocketRouter, clusterWebSocketHandler } from "./clusterSockets.ts";
import { HomeRegions } from "./homeRegions.ts";
import { HomeMoves } from "./homeMoves.ts";
import { ownedSocketActors } from "./ownedSockets.ts";
import { moveFenceSchema } from "../../actors/storage/moveFence.ts";
import { automaticMoves } from "./automaticMoves.ts";
import { NodeLeases } from "./leases.ts";
import { Peers } from "./peers.ts";
import { DeadNodeWatch } from "./deadNodeWatch.ts";
import { fenceSchema } from "../../actors/storage/ownerFence.ts";
import { RemoteSockets } from "./remoteSockets.ts";
import { SocketBridge } from "./socketBridge.ts";
import { subjects } from "./wire.ts";
import { SearchIndexer } from "../../actors/storage/searchIndexer.ts";
import { openRemoteLibsql } from "./storage/remoteLibsql.ts";
import { FarReplicas } from "./storage/farReplicas.ts";
import { FarHistory } from "./farHistory.ts";
import { clusterAccounts } from "./accountsReplica.ts";
import { ACCOUNTS_SCHEMA } from "../../edge/auth/accounts.ts";
import { FarSessions } from "./farSessions.ts";
import type { NodeConfig } from "../bun/config.ts";
import type { ClusterConfig } from "./config.ts";
import { RedisRateLimiter } from "./redisRateLimiter.ts";
import { sweepLease } from "./sweepLease.ts";
import type { NodeParts } from "../bun/nodeParts.ts";
import { phaseDone } from "../bun/startPhases.ts";

/** Between reconnect attempts to NATS: short, so a node serves again soon after NATS returns. */
const NATS_RECONNECT_WAIT_MS = 250;

async function firstRedisConnection(redis: Redis, nodeId: string): Promise<void> {
  redis.connect().catch(() => {}); // a failed first try is retried by ioredis (retryStrategy)
  for (let since = Date.now(), told = 0; redis.status !== "ready"; await new Promise((r) => setTimeout(r, 50)))
    if (Date.now() - since > 1000 + told * 5000) console.warn(`[cluster] ${nodeId}: waiting for Redis (${1 + 5 * told++} s)`);
}

export async function clusterParts(config: NodeConfig, cc: ClusterConfig): Promise<NodeParts> {
  // Redis and NATS connect while the database is migrated (neither needs the other): a restarted
  // node serves that much sooner (docs/cluster.md "What a node's restart costs").
  // Reconnects every ≤250 ms (ioredis's default grows to 2 s), and the first connection is waited
  // for: a node started while its region's Redis is down (a Redis restart fences the region's nodes,
  // which exit and are started again) comes up as soon as Redis does, instead of exiting again and
  // waiting out its supervisor's growing backoff (chaos seed 2026: 20 s windows after a 3.6 s outage).
  const redis = new Redis(cc.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: false, lazyConnect: true,
    retryStrategy: (times) => Math.min(50 * times, 250) });
  const redisUp = firstRedisConnection(redis, cc.nodeId);
  // Reconnect for ever, and wait for a first connection too (a node started while its region's NATS
  // is down comes up when NATS does, instead of exiting for its supervisor to retry).
  const busUp = connect({ servers: cc.natsUrls, name: `nexus-${cc.nodeId}`, reconnect: true, maxReconnectAttempts: -1,
    reconnectTimeWait: NATS_RECONNECT_WAIT_MS, reconnectJitter: 100, waitOnFirstConnect: true });
  busUp.catch(() => {}); // awaited below, after the database: a failure is thrown there
  // Accounts have one home for the whole cluster; a region's own primary holds only its actors. The
  // home (maybe a WAN away) is connected to and migrated meanwhile; the schema comes before the
  // accounts replica opens (clusterAccounts), as a replica opened on an older schema does not see
  // tables made after it.
  const homeIsRegional = cc.accountsLibsqlUrl === cc.libsqlUrl;
  const accountsHome = homeIsRegional ? Promise.resolve(undefined)
    : openRemoteLibsql(cc.accountsLibsqlUrl, { authToken: cc.libsqlAuthToken, commitIntervalMs: config.commitIntervalMs })
      .then(async (home) => (await home.migrate(ACCOUNTS_SCHEMA), home));
  accountsHome.catch(() => {}); // awaited below: a failure is thrown there
  // Migrate before the replica opens: a replica connection opened on an older schema does not see
  // tables made after it (its reads would all fall back to the server).
  const bootstrap = await openRemoteLibsql(cc.libsqlUrl, { authToken: cc.libsqlAuthToken });
  await BunActorSystem.migrate(bootstrap);
  // Moves between regions: a tombstoned copy refuses every write (actors/storage/moveFence.ts).
  await bootstrap.migrate(moveFenceSchema);
  await bootstrap.migrate(fenceSchema);
  if (homeIsRegional) await bootstrap.migrate(ACCOUNTS_SCHEMA);
  await bootstrap.close();
  phaseDone("migrations");
  // The replica's first sync runs behind the start: reads go to the server until it completed
  // (storage/replicaOpening.ts), so the node serves as soon as the server answers.
  const sql = await openRemoteLibsql(cc.libsqlUrl, { authToken: cc.libsqlAuthToken, commitIntervalMs: config.commitIntervalMs,
    replicaPath: cc.libsqlReplicaPath, replicaBehindStart: true, replicaOpenDelayMs: cc.replicaOpenDelayMs });
  const accountsServer = await accountsHome;
  phaseDone("storage");
  await redisUp;
  phaseDone("redis");
  const nc = await busUp;
  phaseDone("nats");
  const subj = subjects(cc.name);
  // The placement bucket opens while the accounts do (in a supercluster its JetStream leader may be
  // a WAN away).
  const placement = HomeRegions.open(nc, cc.region, { bucket: `${cc.name}_placement` });
  placement.catch(() => {}); // awaited below: a failure is thrown there
  // Logins and tickets read a local replica of the accounts' home; writes tell every node (accountsReplica.ts).
  const accounts = await clusterAccounts({ home: accountsServer ?? sql, homeUrl: cc.accountsLibsqlUrl, homeIsRegional: !accountsServer,
    authToken: cc.libsqlAuthToken, replicaPath: cc.libsqlReplicaPath, nc, subject: subj.accountsChanged, nodeId: cc.nodeId,
    region: cc.region, regionSql: sql, schemaMigrated: true, replicaOpenDelayMs: cc.replicaOpenDelayMs });
  phaseDone("accounts");

  // Heartbeats scale with the lease: a crashed node is declared gone (and never routed to again)
  // within 2/3 of a TTL, before its lease runs out and a peer claims its actors.
  const ttl = cc.leaseTtlMs;
  const hostsActors = cc.role === "all";
  const leases = hostsActors ? new NodeLeases(redis, cc.nodeId, { prefix: cc.name, ttlMs: ttl }) : null;
  // The lease's incarnation on the bus too, so an eviction (deadNodeWatch.ts) names the run it ends.
  const incarnation = leases?.incarnation ?? randomBytes(6).toString("hex");
  const peers = new Peers(nc, subj.heartbeat, cc.nodeId, incarnation, cc.region, { intervalMs: Math.max(100, ttl / 6), deadAfterMs: (2 * ttl) / 3 });
  const watch = leases ? new DeadNodeWatch(leases, nc, subj, peers, Math.max(25, ttl / 30)) : null;
  const homes = await placement;
  phaseDone("placement");
  const cluster = new ClusterActorSystem({ nc, subjects: subj, node: cc.nodeId, region: cc.region, peers, homes, leases, leaseTtlMs: ttl });
  const local = hostsActors
    ? new BunActorSystem(sql, config.limits, { mesh: cluster, onEvict: (kind, id) => cluster.evicted(kind, id), fenced: true,
        confirmMoved: (kind, id, region) => moves.confirmMoved(kind, id, region) })
    : null;
  cluster.local = local;
  // Sockets reach only actors owned here: one that moved away is closed, not served from the old copy.
  const socketActors = local ? ownedSocketActors(local, (kind, id) => cluster.owns(kind, id)) : null;
  const remote = local && socketActors ? new RemoteSockets(nc, subj, cc.nodeId, socketActors, (kind, id) => cluster.owns(kind, id)) : null;
  // Moves need a node here that hosts actors (it writes the imported log into this region's primary).
  // Regions a move may target: configured or ever seen, not only those with a node up now (a region
  // whose nodes are all down is an outage, answered 503 by the move, not "no such region", 400).
  const knownRegions = new Set([cc.region, ...cc.regionLibsqlUrls.keys()]);
  const moves = new HomeMoves({ nc, prefix: cc.name, node: cc.nodeId, region: cc.region, homes, cluster, sql,
    regions: () => [...peers.list().reduce((known, p) => (p.region ? known.add(p.region) : known), knownRegions)] });
  const policies = automaticMoves(cc.movePolicy, cc.region, cluster, moves, local, peers);
  if (remote) remote.onWrite = (id, edge) => policies.conversation.write(id, peers.regionOf(edge) || cc.region);
  const bridge = new SocketBridge(nc, subj, cc.nodeId);
  // Replicas of other regions' primaries, for history of conversations homed there (farHistory.ts)
  // and, while such a region is lost, read-only sockets to them (farSessions.ts).
  const farReplicas = cc.libsqlReplicaPath && cc.regionLibsqlUrls.size > 0
    ? new FarReplicas(cc.regionLibsqlUrls, cc.libsqlReplicaPath, cc.libsqlAuthToken) : null;
  const farDeps = farReplicas && { region: cc.region, homeOf: (id: string) => homes.regionOf("conversation", id), replicas: farReplicas,
    regionHeard: (region: string) => peers.list().some((p) => p.region === region), heardWithinMs: ttl };
  const far = farDeps ? new FarHistory(farDeps) : null;
  const farSessions = farDeps
    ? new FarSessions({ ...farDeps, home: (id) => cluster.conversation(id), mesh: cluster, limits: config.limits }) : null;
  bridge.onMoved = (kind, id) => cluster.forget(kind, id);

  peers.onGone((node) => {
    const closed = bridge.closeAll("node went away", node);
    remote?.edgeGone(node);
    if (closed > 0) console.warn(`[cluster] ${node} went away: ${closed} bridged sockets closed (their clients resume)`);
  });
  // A dropped bus connection may have lost frames in either direction: every bridged socket is
  // closed so its client resumes from storage. Off the bus the node keeps its leases (it still is
  // the one writer of its actors, which stay correct: commits go to the libSQL server) and serves its
  // own sockets; what needs another node is refused at once with `unavailable` (cluster.busUp).
  // Subscriptions are restored by the client on reconnect; peers hear our heartbeats again.
  void (async () => {
    for await (const s of nc.status())
      if (s.type === "disconnect" && cluster.busUp) {
        cluster.busUp = false;
        console.warn(`[cluster] ${cc.nodeId} lost the bus (${s.server}): reconnecting; serving local actors meanwhile`);
        bridge.closeAll("bus reconnecting");
        remote?.closeAll("bus reconnecting");
        bridge.resetPieces();
        remote?.resetPieces();
      } else if (s.type === "reconnect") {
        cluster.busUp = true;
        console.warn(`[cluster] ${cc.nodeId} is back on the bus (${s.server})`);
      }
  })();

  if (leases) {
    leases.onLost(() => {
      console.error(`[cluster] ${cc.nodeId} lost its lease in Redis: stopping (its actors may be claimed elsewhere)`);
      // Tests only (NEXUS_LEASE_LOSS_EXIT_DELAY_MS): a stale owner that has not stopped yet, to show
      // that the storage fence alone refuses its commits.
      if (cc.leaseLossExitDelayMs > 0) setTimeout(() => process.exit(1), cc.leaseLossExitDelayMs);
      else process.exit(1);
    });
    await leases.start();
  }
  phaseDone("leases");
  remote?.start();
  bridge.start();
  cluster.start();
  if (hostsActors) {
    moves.start();
    policies.conversation.start();
    policies.inbox.start();
  }
  peers.start();
  watch?.start();
  console.log(`[cluster] node ${cc.nodeId} (${cc.role}) in region ${cc.region}, incarnation ${incarnation}`);

  return {
    sql,
    accountsSql: accounts.sql,
    accounts: accounts.options,
    actors: far ? far.client(cluster) : cluster,
    local,
    sockets: clusterSocketRouter(cluster, farSessions),
    websocket: clusterWebSocketHandler(socketActors, bridge, config.limits, (id) => policies.conversation.write(id, cc.region), farSessions),
    limiter: new RedisRateLimiter(redis, { prefix: `${cc.name}:rl` }),
    listening(server) {
      const publishLocal = (topic: string, frame: string) => void server.publish(topic, frame);
      bridge.publish = publishLocal;
      if (local && remote) local.publisher = remote.topics.publisher(publishLocal, (edge, topic, frame) => remote.publishTo(edge, topic, frame));
    },
    moveConversation: (id, region) => moves.move("conversation", id, region),
    moveInbox: (userId, region) => moves.move("inbox", userId, region),
    // A user's inbox starts in the region they signed up through, not where a group made elsewhere
    // first touches it (docs/cluster.md "Placement"): losing another region then leaves them their
    // conversation list and inbox socket.
    claimInboxHome: async (userId) => void (await cluster.claimHome("inbox", userId)),
    // One sweeper per region per interval; the blob store (one S3 bucket or folder for every region)
    // holds keys whose rows are in other regions' primaries, so its listing is not swept here.
    sweep: { gate: sweepLease(redis, `${cc.name}:attachment-sweep`, cc.nodeId, config.attachmentSweepMs), orphans: false },
    gauges(metrics) {
      metrics.gauge("nexus_cluster_moves", "Conversations and inboxes this node moved to another region", [], () => moves.moved);
      metrics.gauge("nexus_cluster_owned_actors", "Actors whose lease this node holds", [], () => cluster.stats.owned);
      metrics.gauge("nexus_cluster_bridged_sockets", "Client sockets held here for actors on other nodes", [], () => bridge.size);
      metrics.gauge("nexus_cluster_remote_sockets", "Sockets of other nodes attached to actors here", [], () => remote?.size ?? 0);
      metrics.gauge("nexus_cluster_peers", "Other nodes heard on the bus", [], () => peers.list().length);
      accounts.gauges(metrics);
      metrics.gauge("nexus_cluster_evicted_nodes", "Crashed nodes this node evicted before their lease ran out", [], () => watch?.evicted ?? 0);
      // A count that keeps growing means the region's primary is slow or unreachable (writes queue here).
      metrics.gauge("nexus_storage_writes_pending", "Writes to the region's libSQL primary waiting or in flight (group commits and single statements)", [], () => sql.writes.pending);
      metrics.gauge("nexus_storage_commits_in_flight_max", "The most writes this node had in flight at once to its primary (group commits overlap across a slow link)", [], () => sql.writes.mostAtOnce);
      if (sql.replicaOpening) {
        const opening = sql.replicaOpening;
        const r = opening.stats;
        metrics.gauge("nexus_replica_open", "1 once this node's libSQL replica finished its first sync (before: every read goes to the server)", [], () => (opening.replica ? 1 : 0));
        metrics.gauge("nexus_replica_reads", "History reads served by this node's libSQL replica", [], () => r.reads);
        metrics.gauge("nexus_replica_syncs", "Replica syncs a read waited for (it trailed)", [], () => r.syncs);
        metrics.gauge("nexus_replica_fallbacks", "History reads that went to the libSQL server after all (replica cold, failing, or its pull not yet paid for by reads)", [], () => r.fallbacks);
        // Why reads go to the server while the replica is open: it trails by more than its reads pay for (embeddedReplica.ts).
        metrics.gauge("nexus_replica_expected_pull_pages", "Pages this node's replica expects its next pull to bring; it syncs once 64 plus one per read since its last sync cover them", [], () => Math.round(opening.replica?.expectedPages ?? 0));
        metrics.gauge("nexus_replica_background_syncs", "Background replica syncs (done only while the replica is read)", [], () => r.backgroundSyncs);
      }
      if (far) {
        metrics.gauge("nexus_far_replica_pages", "History pages of conversations homed in other regions served from this node's replica of their region", [], () => far.stats.fresh);
        metrics.gauge("nexus_far_replica_stale_pages", "Read-only history pages served from a far replica while the home region did not answer", [], () => far.stats.stale);
        metrics.gauge("nexus_far_replica_fallbacks", "History pages of far-homed conversations the owner served after all (replica trailing, cold or opening)", [], () => far.stats.fallbacks);
        metrics.gauge("nexus_far_replicas_open", "Replicas of other regions' primaries open on this node", [], () => far.replicas.opened().size);
      }
      if (farSessions) {
        metrics.gauge("nexus_far_sessions_held", "Read-only conversation sessions held on this node while their home region is lost", [], () => farSessions.size);
        metrics.gauge("nexus_far_sessions_routed", "Sockets routed to a read-only session from a far replica (home region lost)", [], () => farSessions.stats.routed);
        metrics.gauge("nexus_far_sessions_ended", "Read-only sessions ended because their home region answered again (sockets closed 1012)", [], () => farSessions.stats.ended);
      }
    },
    async stop() {
      // Own nothing any more and take no new sockets, then tell edges, so clients move on (to the
      // next owner, once this node's liveness key is gone) while this node flushes.
      cluster.stop();
      remote?.closeAll("node stopping");
      farSessions?.close();
      await local?.close(); // stops the search indexer too
      if (!local) await SearchIndexer.for(sql).stop();
      await leases?.stop();
      cluster.close();
      watch?.stop();
      peers.stop();
      bridge.stop();
      moves.stop();
      policies.conversation.stop();
      policies.inbox.stop();
      remote?.stop();
      await nc.drain().catch(() => {});
      redis.disconnect();
      await sql.close();
      await accounts.close();
      await accountsServer?.close();
      await far?.replicas.close();
    },
  };
}
