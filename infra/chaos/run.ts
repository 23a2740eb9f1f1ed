/**
 * `npm run chaos -- [--seed N] [--duration SECONDS] [--wan MS] [--move-every SECONDS] [--no-moves]`: a chaos run on a local
 * multi-region cluster (infra/chaos/chaos.ts). Prints each fault as it heals, then acknowledged
 * messages lost / duplicated / misordered (all must be 0: the exit code is 1 otherwise) and, per
 * fault kind, the distribution of unavailable windows (the longest stall of each writer's acks
 * overlapping each fault: writers a fault did not touch count with their usual gap).
 */
import { FAULT_KINDS, percentile, runChaos } from "./chaos.ts";

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} wants a whole number >= 0, got ${process.argv[i + 1]}`);
  return v;
}

const seed = arg("seed", Date.now() % 1_000_000);
const duration = arg("duration", 300);
const wanMs = arg("wan", 40);
// Moves meet faults: automatic moves made frequent (chaos.ts FREQUENT_MOVES) and an operator's move
// every `--move-every` seconds on average (default 5). `--no-moves`: neither.
const noMoves = process.argv.includes("--no-moves");
const env: Record<string, string> = noMoves ? { NEXUS_MOVE_CHECK_MS: "0" } : {};
const moveEveryMs = noMoves ? 0 : arg("move-every", 5) * 1000;
const r = await runChaos({ seed, durationMs: duration * 1000, wanMs, env, moveEveryMs, log: (l) => console.log(`[chaos] ${l}`) });
console.log(`\nseed ${r.seed}, ${duration} s, ${r.faults.length} faults, ${r.acked} acknowledged messages, ${r.selfExits} nodes exited by themselves (restarted)`);
console.log(`lost ${r.lost}${r.lost ? ` (${JSON.stringify(r.lostBy)})` : ""}, duplicated ${r.duplicated}, misordered ${r.misordered}; ` +
  `${r.moves} moves counted by the nodes still up at the end; operator moves: ${r.operatorMoves.moved} done, ${r.operatorMoves.failed} refused or failed` +
  `${noMoves ? " (moves off)" : ""}`);
console.log("unavailable windows per fault (ms; one per fault and writer):");
console.log("kind       faults  windows  >1s   p50     p99     max");
for (const k of FAULT_KINDS) {
  const ws = r.windows[k];
  const n = r.faults.filter((f) => f.kind === k).length;
  const fmt = (x: number) => (Number.isNaN(x) ? "-" : String(x)).padEnd(8);
  console.log(`${k.padEnd(11)}${String(n).padEnd(8)}${String(ws.length).padEnd(9)}${String(ws.filter((x) => x > 1000).length).padEnd(6)}` +
    `${fmt(percentile(ws, 50))}${fmt(percentile(ws, 99))}${fmt(ws.length ? Math.max(...ws) : NaN)}`);
}
process.exit(r.lost + r.duplicated + r.misordered === 0 ? 0 : 1);
