/**
 * Home region of each actor (cluster mode): decided once, globally, in a NATS JetStream KV bucket
 * shared by the supercluster (regions joined by gateways). The first region to ask wins: `kv.create`
 * succeeds for exactly one writer, everyone else reads the winner. An answer changes only when the
 * actor is moved (homeMoves.ts: compare-and-set, then a broadcast every node learns from), so
 * answers are cached in a bounded map (least recently used evicted).
 * Why KV get/create and not `kv.watch()`: on nats-server 2.9 a watch from another region can miss
 * its first events; create (expected last sequence 0) and reads by subject work across gateways.
 * Reads go to the stream leader (allow_direct off) so a read right after a lost create sees the winner.
 * Plain TypeScript (@nats-io/kv), no Bun-only APIs.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { Kvm, type KV } from "@nats-io/kv";
import type { ActorKind } from "../../actors/api.ts";

export interface HomeRegionsOptions {
  /** KV bucket name; default "nexus_placement". */
  bucket?: string;
  /** Stream replicas inside the creating region's cluster; default 1. */
  replicas?: number;
  /** Cached answers kept in memory; default 50,000. */
  maxCached?: number;
}

/** How long a cached home is trusted without a re-read (moves broadcast changes at once). */
const CACHE_TTL_MS = 60_000;

/** JetStream "wrong last sequence": the key already exists (someone created it first). */
const WRONG_LAST_SEQ = new Set([10071, 10164]);

function apiCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "number" ? code : undefined;
}

/**
 * KV key of an actor: `kind.escaped`. KV keys allow only [-/=._A-Za-z0-9]; ids keep [A-Za-z0-9_-]
 * (every conversation id and generated user id) and any other byte of their UTF-8 becomes `=XX`.
 * `=` itself is escaped, so the mapping is one-to-one.
 */
export function placementKey(kind: ActorKind, id: string): string {
  let out = "";
  for (const ch of id) {
    if (/^[A-Za-z0-9_-]$/.test(ch)) out += ch;
    else for (const b of new TextEncoder().encode(ch)) out += "=" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  if (!out) throw new Error(`empty ${kind} id`);
  return `${kind}.${out}`;
}

/** A home as stored: the region and the KV entry's revision (compare-and-set). */
export interface PlacedHome {
  region: string;
  revision: number;
}

export class HomeRegions {
  /** Cached answers with when they were read: re-read after CACHE_TTL_MS, so a node that missed a
   *  move's broadcast (it is at-most-once) learns the new home within that time. */
  private readonly cache = new Map<string, { region: string; at: number }>();
  private readonly pending = new Map<string, Promise<string>>();

  private constructor(
    private readonly kv: KV,
    /** This node's region: what regionOf writes for an actor nobody placed yet. */
    readonly region: string,
    private readonly maxCached: number,
  ) {}

  /** Opens the bucket, creating it (history 1) if missing; safe when several nodes race to create it. */
  static async open(nc: NatsConnection, region: string, opts: HomeRegionsOptions = {}): Promise<HomeRegions> {
    const kvm = new Kvm(nc);
    const bucket = opts.bucket ?? "nexus_placement";
    let lastErr: unknown;
    for (let attempt = 0; attempt < 8; attempt++) {
      try {
        // create() opens an existing bucket as is; it adds the stream only when it is missing.
        const kv = await kvm.create(bucket, { history: 1, replicas: opts.replicas ?? 1, allow_direct: false });
        return new HomeRegions(kv, region, opts.maxCached ?? 50_000);
      } catch (err) {
        // Typically "stream name already in use" when another node created it between our
        // lookup and our add; the next attempt finds it. Back off a little with jitter.
        lastErr = err;
        await new Promise((r) => setTimeout(r, 50 * (attempt + 1) + Math.random() * 50));
      }
    }
    throw new Error(`could not open KV bucket ${bucket}: ${(lastErr as Error)?.message ?? lastErr}`);
  }

  /** The actor's home region: the stored one, or this node's region if it is the first to ask. */
  regionOf(kind: ActorKind, id: string): Promise<string> {
    const key = placementKey(kind, id);
    const hit = this.cache.get(key);
    if (hit !== undefined && Date.now() - hit.at < CACHE_TTL_MS) {
      this.cache.delete(key); // re-inserted last: most recently used
      this.cache.set(key, hit);
      return Promise.resolve(hit.region);
    }
    let p = this.pending.get(key);
    if (!p) {
      p = this.lookup(key).then(
        (region) => {
          this.pending.delete(key);
          this.remember(key, region);
          return region;
        },
        (err) => {
          this.pending.delete(key);
          throw err;
        },
      );
      this.pending.set(key, p);
    }
    return p;
  }

  /** The stored home with its entry's revision (bypassing the cache); null when never placed. */
  async entry(kind: ActorKind, id: string): Promise<PlacedHome | null> {
    const e = await this.kv.get(placementKey(kind, id));
    return e && e.operation === "PUT" ? { region: e.string(), revision: e.revision } : null;
  }

  /** Change a home to `to`, only if its entry is still exactly `seen` (compare-and-set on the
   *  revision): two moves of one actor cannot both win, and a move whose home was re-asserted since
   *  (`reassert`) cannot win at all. */
  async move(kind: ActorKind, id: string, seen: PlacedHome, to: string): Promise<void> {
    const key = placementKey(kind, id);
    await this.kv.update(key, to, seen.revision);
    this.remember(key, to);
  }

  /** Write the home `seen` again, if nothing changed it since: its revision goes up, so a move
   *  that read the entry before this (and has not switched it yet) can no longer switch it. False
   *  when the entry changed meanwhile (read it again). */
  async reassert(kind: ActorKind, id: string, seen: PlacedHome): Promise<boolean> {
    try {
      await this.kv.update(placementKey(kind, id), seen.region, seen.revision);
      return true;
    } catch (err) {
      if (WRONG_LAST_SEQ.has(apiCode(err) ?? -1)) return false;
      throw err;
    }
  }

  /** The home as stored now, bypassing the cache (and refreshing it); null when never placed. */
  async current(kind: ActorKind, id: string): Promise<string | null> {
    const key = placementKey(kind, id);
    const region = await this.read(key);
    if (region !== null) this.remember(key, region);
    return region;
  }

  /** Another node moved this actor (its broadcast): answer `region` from now on. */
  learn(kind: ActorKind, id: string, region: string): void {
    this.remember(placementKey(kind, id), region);
  }

  /** Cached answers (for tests and metrics). */
  get cachedCount(): number {
    return this.cache.size;
  }

  private async lookup(key: string): Promise<string> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const found = await this.read(key);
      if (found !== null) return found;
      try {
        await this.kv.create(key, this.region);
        return this.region;
      } catch (err) {
        if (!WRONG_LAST_SEQ.has(apiCode(err) ?? -1)) throw err;
      }
      // Lost the race: the winner's value is there now; read it on the next turn.
    }
    throw new Error(`home region of ${key}: create kept conflicting but no value could be read`);
  }

  private async read(key: string): Promise<string | null> {
    const e = await this.kv.get(key);
    return e && e.operation === "PUT" ? e.string() : null;
  }

  private remember(key: string, region: string): void {
    this.cache.delete(key);
    this.cache.set(key, { region, at: Date.now() });
    while (this.cache.size > this.maxCached) this.cache.delete(this.cache.keys().next().value!);
  }
}
