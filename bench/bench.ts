/**
 * The benchmark run: every scenario on every system, systems alternating within a scenario (and
 * their order rotated each round), so all of them meet the same machine state. With several rounds,
 * each system's reported result is its median round by the scenario's `medianBy` metric (the figure
 * its targets judge; by default its first ratio column), and every round's value of it is logged
 * and kept in the report (`rounds`).
 */
import type { BenchConfig } from "./config.ts";
import type { Ctx } from "./lib/context.ts";
import { appendJsonl, buildReport, latestMarkdown, table, writeLatest, type ScenarioReport } from "./lib/report.ts";
import { connections, idle } from "./scenarios/connections.ts";
import { everydayScenario } from "./scenarios/everyday.ts";
import { fanout } from "./scenarios/fanout.ts";
import { history } from "./scenarios/history.ts";
import { saturation } from "./scenarios/saturation.ts";
import type { Scenario, SystemResult } from "./scenarios/types.ts";
import { targets } from "./targets/index.ts";
import type { TargetName } from "./targets/types.ts";

/** Every scenario for this config, in run order (the everyday ones come from its shapes). */
export function scenariosFor(config: BenchConfig): Scenario[] {
  return [fanout, ...config.everyday.shapes.map(everydayScenario), saturation, connections, idle, history];
}

export interface BenchOptions {
  config: BenchConfig;
  targets: TargetName[];
  scenarios: Scenario["name"][];
  rounds: number;
  /** Append to results.jsonl and rewrite latest.md + README table (quick) or latest-<mode>.md. */
  write: boolean;
  /** Print JSON lines and tables on stdout. */
  print: boolean;
  ctx: Ctx;
}

/** The median round by `key` (rounds that failed or lack it are left out). */
export function median(results: SystemResult[], key: string | undefined): SystemResult {
  if (results.length === 1 || !key) return results[0]!;
  const ok = results.filter((r) => !r.error && typeof r.metrics[key] === "number");
  if (ok.length === 0) return results[0]!;
  ok.sort((a, b) => (a.metrics[key] as number) - (b.metrics[key] as number));
  return ok[Math.floor((ok.length - 1) / 2)]!;
}

export async function runBench(o: BenchOptions): Promise<ScenarioReport[]> {
  const reports: ScenarioReport[] = [];
  try {
    await runScenarios(o, reports);
  } finally {
    await o.ctx.servers.stopAll();
  }
  if (o.write && reports.length) writeLatest(latestMarkdown(reports, o.config.mode), o.config.mode);
  return reports;
}

async function runScenarios(o: BenchOptions, reports: ScenarioReport[]): Promise<void> {
  for (const scenario of scenariosFor(o.config).filter((s) => o.scenarios.includes(s.name))) {
    const workload = scenario.workload(o.config);
    o.ctx.log(`== ${scenario.title}: ${workload}`);
    const perTarget = new Map<TargetName, SystemResult[]>();
    const primary = scenario.medianBy ?? scenario.columns.find((c) => c.ratio)?.key;
    for (let round = 0; round < o.rounds; round++) {
      const order = o.targets.map((_, i) => o.targets[(i + round) % o.targets.length]!);
      for (const name of order) {
        if (o.rounds > 1) o.ctx.log(`-- round ${round + 1}/${o.rounds}: ${name}`);
        let result: SystemResult;
        try {
          result = await scenario.run(targets[name], o.config, o.ctx);
        } catch (e) {
          const msg = String((e as Error)?.message ?? e).split("\n").slice(0, 6).join("\n");
          o.ctx.log(`${name}: FAILED ${msg}`);
          result = { target: name, error: msg, metrics: {} };
        }
        perTarget.set(name, [...(perTarget.get(name) ?? []), result]);
        if (o.rounds > 1 && primary) o.ctx.log(`${name}: round ${round + 1} ${primary} ${result.metrics[primary] ?? "–"}`);
      }
    }
    const chosen = o.targets.map((t) => {
      const results = perTarget.get(t)!;
      const kept = median(results, primary);
      return o.rounds > 1 && primary ? { ...kept, rounds: results.map((r) => r.metrics[primary] ?? null) } : kept;
    });
    const report = buildReport(scenario, o.config.mode, workload, chosen);
    reports.push(report);
    if (o.print) {
      const { columns: _, ...line } = report;
      console.log(JSON.stringify(line));
      console.log("\n" + table(report) + "\n");
    }
    if (o.write) appendJsonl(report);
  }
}
