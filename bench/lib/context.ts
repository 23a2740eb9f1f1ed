/**
 * What every scenario gets: a progress printer and the run's servers. Each system's server is
 * started once per run and shared by the scenarios (users are created once: Nexus hashes passwords
 * with scrypt), restarted if it died; `withServer` gives a scenario a fresh one of its own.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Target, TargetName, TargetServer } from "../targets/types.ts";

export interface Ctx {
  verbose: boolean;
  log(line: string): void;
  servers: ServerPool;
}

export function consoleCtx(verbose = false, log?: (line: string) => void): Ctx {
  const t0 = performance.now();
  return {
    verbose,
    servers: new ServerPool(),
    log:
      log ??
      ((line) => {
        const s = ((performance.now() - t0) / 1000).toFixed(1).padStart(6);
        process.stderr.write(`[${s}s] ${line}\n`);
      }),
  };
}

interface Running {
  server: TargetServer;
  dir: string;
}

async function start(target: Target, ctx: Ctx): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), `nexus-bench-${target.name}-`));
  const t0 = performance.now();
  try {
    const server = await target.start({ tmpDir: dir, verbose: ctx.verbose });
    ctx.log(`${target.name}: started (${Math.round(performance.now() - t0)} ms) — ${server.description}`);
    return { server, dir };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function stop(r: Running): Promise<void> {
  try {
    await r.server.stop();
  } finally {
    rmSync(r.dir, { recursive: true, force: true });
  }
}

export class ServerPool {
  private running = new Map<TargetName, Running>();

  async get(target: Target, ctx: Ctx): Promise<TargetServer> {
    const r = this.running.get(target.name);
    if (r && r.server.alive()) return r.server;
    if (r) {
      ctx.log(`${target.name}: server died; restarting`);
      await stop(r);
    }
    const fresh = await start(target, ctx);
    this.running.set(target.name, fresh);
    return fresh.server;
  }

  async stopAll(): Promise<void> {
    for (const r of this.running.values()) await stop(r);
    this.running.clear();
  }
}

/** Starts `target` in a fresh temp dir for one scenario, and always stops it and removes the dir. */
export async function withServer<T>(target: Target, ctx: Ctx, fn: (server: TargetServer) => Promise<T>): Promise<T> {
  const r = await start(target, ctx);
  try {
    return await fn(r.server);
  } finally {
    await stop(r);
  }
}

/** The run's shared server for `target`. */
export async function withSharedServer<T>(target: Target, ctx: Ctx, fn: (server: TargetServer) => Promise<T>): Promise<T> {
  return fn(await ctx.servers.get(target, ctx));
}
