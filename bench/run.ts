/**
 * CLI: bun bench/run.ts [--quick|--full|--tiny] [--targets=rawBun,socketio,nexus]
 *      [--scenarios=fanout,everyday,saturation,connections,idle,history] [--rounds=N] [--verbose] [--no-write]
 *      (`everyday` = every everyday-<shape> scenario of the mode; one shape: --scenarios=everyday-500x2@2)
 *      [--set=fanout.ratePerSender=12 ...]  (override any profile field for this run)
 * Env: BENCH_NEXUS_CPU_PROF=<dir> profiles the Nexus server; BENCH_NEXUS_ENV='{"K":"V"}' adds server env.
 * `npm run bench` (scripts/bench.mjs) calls this after checking dependencies.
 */
import { killChildrenOnSignals } from "../scripts/lib/processes.mjs";
import { runBench, scenariosFor } from "./bench.ts";
import { profiles } from "./config.ts";
import { consoleCtx } from "./lib/context.ts";
import { targetsCheck } from "./lib/report.ts";
import { DEFAULT_TARGETS, TARGET_NAMES, type TargetName } from "./targets/types.ts";

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const opt = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];

const mode = flag("full") ? "full" : flag("tiny") ? "tiny" : "quick";
const targetList = (opt("targets")?.split(",") ?? DEFAULT_TARGETS) as TargetName[];
for (const t of targetList) if (!TARGET_NAMES.includes(t)) throw new Error(`unknown target ${t}; known: ${TARGET_NAMES.join(", ")}`);

const config = structuredClone(profiles[mode]);
const known = scenariosFor(config).map((s) => s.name);
const scenarioList = (opt("scenarios")?.split(",") ?? known).flatMap((s) => (s === "everyday" ? known.filter((k) => k.startsWith("everyday-")) : [s]));
for (const s of scenarioList) if (!known.includes(s as never)) throw new Error(`unknown scenario ${s}; known: ${known.join(", ")}`);
for (const a of args.filter((x) => x.startsWith("--set="))) {
  const [path, value] = a.slice("--set=".length).split("=") as [string, string];
  const [section, key] = path.split(".") as [keyof typeof config, string];
  const obj = config[section] as unknown as Record<string, unknown>;
  if (typeof obj !== "object" || !(key in obj)) throw new Error(`--set: unknown field ${path}`);
  obj[key] = Number(value);
}

// Ctrl-C: no server or cluster is left behind (they run in their own process groups).
killChildrenOnSignals();
const ctx = consoleCtx(flag("verbose"));
const t0 = performance.now();
ctx.log(`nexus bench, ${mode} mode: targets ${targetList.join(", ")}; scenarios ${scenarioList.join(", ")}`);
const reports = await runBench({
  config,
  targets: targetList,
  scenarios: scenarioList as typeof known,
  rounds: Number(opt("rounds") ?? 1),
  write: !flag("no-write"),
  print: true,
  ctx,
});
console.log(targetsCheck(reports));
ctx.log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s` + (flag("no-write") ? "" : "; results in bench/results/"));
process.exit(0);
