/** What every scenario gets: a progress printer and a way to run a system with a temp dir. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Target, TargetServer } from "../targets/types.ts";

export interface Ctx {
  verbose: boolean;
  log(line: string): void;
}

export function consoleCtx(verbose = false): Ctx {
  const t0 = performance.now();
  return {
    verbose,
    log(line) {
      const s = ((performance.now() - t0) / 1000).toFixed(1).padStart(6);
      process.stderr.write(`[${s}s] ${line}\n`);
    },
  };
}

/** Starts `target` in a fresh temp dir, runs `fn`, and always stops it and removes the dir. */
export async function withServer<T>(target: Target, ctx: Ctx, fn: (server: TargetServer) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `nexus-bench-${target.name}-`));
  const t0 = performance.now();
  const server = await target.start({ tmpDir: dir, verbose: ctx.verbose });
  ctx.log(`${target.name}: started (${Math.round(performance.now() - t0)} ms) — ${server.description}`);
  try {
    return await fn(server);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
