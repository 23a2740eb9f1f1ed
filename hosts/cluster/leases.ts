/**
 * Owner node of each actor inside its home region, from that region's Redis (cluster mode).
 * Why this shape: one liveness key per node (`prefix:node:ID` = incarnation, PX ttl) is renewed every
 * ttl/3; owner keys (`prefix:owner:KIND:ID` = `nodeId/incarnation`) have no TTL and are valid only
 * while that exact incarnation's liveness key lives, so renewal costs one command per node, not per
 * actor. A node restarted with the same nodeId draws a new incarnation: the old owner values stop
 * counting at once and are only taken over through the claim script, never inherited silently.
 * Every decision is one Lua script, so two claimers never both win. Keys are computed inside the
 * scripts: this needs a single Redis (or primary + replicas), not Redis Cluster.
 * Plain TypeScript (ioredis), no Bun-only APIs: the Node-based tooling can run it too.
 *
 * A crashed node is found before its key expires through its Redis connection: each node records the
 * client id of its connection in `prefix:conns` (re-recorded on every reconnect), and when the kernel
 * closes a killed process's sockets Redis drops that client at once. `disconnected()` lists the nodes
 * whose recorded connection is gone and `evict()` deletes such a node's liveness key (atomically, only
 * if it still is that incarnation with that connection), which frees its actors for a claim at once.
 * A paused process keeps its connection and is never evicted this way (it loses its key by the TTL).
 * An evicted node that was alive after all (its connection broke and came back) finds its key gone at
 * its next renewal and fences itself; meanwhile the fencing tokens in storage (actors/storage/
 * ownerFence.ts) refuse its commits, so an eviction can cost availability, never a second writer.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Redis } from "ioredis";

import type { ActorKind } from "../../actors/api.ts";

export interface LeaseOptions {
  /** Liveness TTL; default 6000 ms. Renewed every ttl/3; self-fenced after ttl - ttl/5 without renewal. */
  ttlMs?: number;
  /** Key prefix; default "nexus". */
  prefix?: string;
}

/** Thrown by claim() when this node is not (or no longer) live, so it must not take new actors. */
export class LeaseLostError extends Error {
  constructor(nodeId: string) {
    super(`node ${nodeId} holds no live lease (not started, stopped or lost)`);
    this.name = "LeaseLostError";
  }
}

// Owner values are `nodeId/incarnation`; incarnations have no '/', so the last '/' splits them.
const LIVE_OWNER = `
local function live(v)
  if not v then return nil end
  local node, inc = string.match(v, '^(.*)/([^/]*)$')
  if node and redis.call('GET', ARGV[1] .. node) == inc then return node end
  return nil
end`;

/** KEYS[1] owner key; ARGV[1] node-key prefix, ARGV[2] our nodeId/incarnation, ARGV[3] our node key, ARGV[4] our incarnation. */
const CLAIM = `${LIVE_OWNER}
local node = live(redis.call('GET', KEYS[1]))
if node then return node end
if redis.call('GET', ARGV[3]) ~= ARGV[4] then return false end
redis.call('SET', KEYS[1], ARGV[2])
return ARGV[2]`;

/** KEYS[1] owner key; ARGV[1] node-key prefix. */
const OWNER = `${LIVE_OWNER}
return live(redis.call('GET', KEYS[1])) or false`;

/** KEYS[1] key; ARGV[1] expected value: delete only if it still holds it. */
const DELETE_IF = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** KEYS[1] our node key; ARGV[1] incarnation, ARGV[2] ttl ms. 1 renewed, 0 missing or taken by another incarnation. */
const RENEW = `
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;

/** KEYS[1] our node key, KEYS[2] the conns hash; ARGV[1] nodeId, ARGV[2] incarnation, ARGV[3] client id. */
const RECORD_CONN = `
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
return 1`;

/** KEYS[1] the suspect's node key, KEYS[2] the conns hash; ARGV[1] nodeId, ARGV[2] its conns entry as
 *  seen (incarnation|clientId), ARGV[3] that incarnation. 1 when its liveness key was deleted. */
const EVICT = `
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('GET', KEYS[1]) == ARGV[3] then redis.call('DEL', KEYS[1]) return 1 end
return 0`;

/** A node whose recorded Redis connection is gone (see `NodeLeases.disconnected`). */
export interface Disconnected {
  node: string;
  incarnation: string;
  /** The conns entry as read, so `evict` acts only if nothing changed since. */
  entry: string;
}

/** EVALSHA, falling back to EVAL once when the script cache is empty (e.g. after a Redis restart). */
async function runScript(redis: Redis, sha: string, body: string, keys: string[], args: (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!String((err as Error)?.message).includes("NOSCRIPT")) throw err;
    return redis.eval(body, keys.length, ...keys, ...args);
  }
}

export class NodeLeases {
  /** Random per instance (start() once): distinguishes this run of the node from earlier runs with the same nodeId. */
  readonly incarnation = randomBytes(9).toString("base64url");
  private readonly ttlMs: number;
  private readonly prefix: string;
  private readonly nodeKey: string;
  private readonly me: string;
  private state: "new" | "live" | "lost" | "stopped" = "new";
  private lostCallbacks: (() => void)[] = [];
  private renewTimer: ReturnType<typeof setInterval> | undefined;
  private deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  /** Send time of the newest renewal that succeeded: Redis keeps the key at least ttl past it. */
  private lastOk = 0;
  private shas = new Map<string, string>();
  private readonly connsKey: string;
  /** Records this node's connection again after ioredis reconnected (a new client id). */
  private readonly onReady = () => void this.recordConn().catch(() => {});

  constructor(private readonly redis: Redis, readonly nodeId: string, opts: LeaseOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 6000;
    this.prefix = opts.prefix ?? "nexus";
    this.nodeKey = `${this.prefix}:node:${nodeId}`;
    this.me = `${nodeId}/${this.incarnation}`;
    this.connsKey = `${this.prefix}:conns`;
  }

  /**
   * Registers this node as alive and starts renewing. If a previous run with the same nodeId still
   * holds a live key (crash-restart within ttl), waits for it to expire rather than take it over
   * (its actors may still be running); throws after ~2 ttl if it never does (a duplicate nodeId).
   */
  async start(): Promise<void> {
    if (this.state !== "new") throw new Error("NodeLeases.start() may be called once");
    const giveUp = Date.now() + 2 * this.ttlMs;
    for (;;) {
      const sentAt = Date.now();
      if ((await this.redis.set(this.nodeKey, this.incarnation, "PX", this.ttlMs, "NX")) === "OK") {
        this.lastOk = sentAt;
        break;
      }
      if (Date.now() > giveUp) throw new Error(`node id ${this.nodeId} is held by another live process`);
      await new Promise((r) => setTimeout(r, Math.max(50, this.ttlMs / 10)));
    }
    this.state = "live";
    this.armDeadline();
    this.renewTimer = setInterval(() => void this.renew(), this.ttlMs / 3);
    // A Redis that refuses CLIENT (some managed ones do) only costs the early eviction: peers then
    // wait for this node's key to expire, as before.
    await this.recordConn().catch((e) => console.warn(`[leases] ${this.nodeId}: connection not recorded, no early eviction (${(e as Error)?.message ?? e})`));
    this.redis.on("ready", this.onReady);
  }

  private async recordConn(): Promise<void> {
    if (this.state !== "live") return;
    const clientId = String(await this.redis.client("ID"));
    await this.script(RECORD_CONN, [this.nodeKey, this.connsKey], [this.nodeId, this.incarnation, clientId]);
  }

  /** Other nodes of this Redis whose recorded connection Redis no longer has (killed, or cut off). */
  async disconnected(): Promise<Disconnected[]> {
    const conns = await this.redis.hgetall(this.connsKey);
    const recorded: Array<Disconnected & { clientId: string }> = [];
    for (const [node, entry] of Object.entries(conns)) {
      const bar = entry.lastIndexOf("|");
      if (node !== this.nodeId && bar > 0) recorded.push({ node, entry, incarnation: entry.slice(0, bar), clientId: entry.slice(bar + 1) });
    }
    if (recorded.length === 0) return [];
    const list = String(await this.redis.client("LIST", "ID", ...recorded.map((r) => r.clientId)));
    const present = new Set([...list.matchAll(/^id=(\d+)/gm)].map((m) => m[1]));
    return recorded.filter((r) => !present.has(r.clientId)).map(({ node, incarnation, entry }) => ({ node, incarnation, entry }));
  }

  /** Deletes a disconnected node's liveness key if it is still that incarnation on that connection:
   *  its actors may be claimed at once. True when this call evicted it. */
  async evict(d: Disconnected): Promise<boolean> {
    return (await this.script(EVICT, [`${this.prefix}:node:${d.node}`, this.connsKey], [d.node, d.entry, d.incarnation])) === 1;
  }

  onLost(cb: () => void): void {
    this.lostCallbacks.push(cb);
  }

  /** Owner nodeId of the actor, claiming it for this node when no live node owns it. Throws LeaseLostError if this node must not claim. */
  async claim(kind: ActorKind, id: string): Promise<string> {
    if (this.state !== "live") throw new LeaseLostError(this.nodeId);
    const got = (await this.script(CLAIM, [this.ownerKey(kind, id)], [`${this.prefix}:node:`, this.me, this.nodeKey, this.incarnation])) as string | null;
    if (got === null) throw new LeaseLostError(this.nodeId);
    return got === this.me ? this.nodeId : got;
  }

  /** Owner nodeId if that node (that very incarnation) is alive, else null; never claims. */
  async owner(kind: ActorKind, id: string): Promise<string | null> {
    return (await this.script(OWNER, [this.ownerKey(kind, id)], [`${this.prefix}:node:`])) as string | null;
  }

  /** Gives up ownership if this incarnation holds it. */
  async release(kind: ActorKind, id: string): Promise<void> {
    await this.script(DELETE_IF, [this.ownerKey(kind, id)], [this.me]);
  }

  async alive(nodeId: string): Promise<boolean> {
    return (await this.redis.exists(`${this.prefix}:node:${nodeId}`)) === 1;
  }

  /** Stops renewing and deletes our liveness key (only if still ours), so peers may claim at once. */
  async stop(): Promise<void> {
    const wasLive = this.state === "live";
    this.state = "stopped";
    this.clearTimers();
    this.redis.off("ready", this.onReady);
    if (wasLive) await this.script(DELETE_IF, [this.nodeKey], [this.incarnation]);
  }

  private ownerKey(kind: ActorKind, id: string): string {
    return `${this.prefix}:owner:${kind}:${id}`;
  }

  private async renew(): Promise<void> {
    if (this.state !== "live") return;
    const sentAt = Date.now();
    if (sentAt - this.lastOk >= this.fenceAfter()) return this.lose(); // a late timer (paused process)
    try {
      const r = await this.script(RENEW, [this.nodeKey], [this.incarnation, this.ttlMs]);
      if (this.state !== "live") return;
      // Missing (Redis restarted empty or was flushed: its owner keys may be gone too, so a peer may
      // already have claimed an actor we still run) or taken by another run with our nodeId: we are
      // fenced either way. Recreating it could leave two writers for one actor.
      if (r === 0) return this.lose();
      if (sentAt > this.lastOk) this.lastOk = sentAt;
      this.armDeadline();
    } catch {
      // Redis unreachable: keep trying until the deadline timer declares us lost.
    }
  }

  /** Local deadline: ttl minus a margin, counted from the send time of the last good renewal. */
  private fenceAfter(): number {
    return this.ttlMs - this.ttlMs / 5;
  }

  private armDeadline(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    const left = this.lastOk + this.fenceAfter() - Date.now();
    this.deadlineTimer = setTimeout(() => this.lose(), Math.max(0, left));
  }

  private lose(): void {
    if (this.state !== "live") return;
    this.state = "lost";
    this.clearTimers();
    for (const cb of this.lostCallbacks) {
      try {
        cb();
      } catch (err) {
        console.error("NodeLeases onLost callback failed", err);
      }
    }
  }

  private clearTimers(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.renewTimer = this.deadlineTimer = undefined;
  }

  private async script(body: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    let sha = this.shas.get(body);
    if (!sha) this.shas.set(body, (sha = createHash("sha1").update(body).digest("hex")));
    return runScript(this.redis, sha, body, keys, args);
  }
}
