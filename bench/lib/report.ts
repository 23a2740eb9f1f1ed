/**
 * Turns scenario results into the three outputs: one JSON line per scenario (stdout and
 * bench/results/results.jsonl), a human-readable table, and bench/results/latest.md, whose text is
 * also copied into bench/README.md between the "latest" markers.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import type { Column, Scenario, SystemResult } from "../scenarios/types.ts";
import type { TargetName } from "../targets/types.ts";
import { ROOT } from "./procs.ts";

export interface ScenarioReport {
  ts: string;
  mode: string;
  scenario: Scenario["name"];
  title: string;
  workload: string;
  host: { cpus: number; cpuModel: string; bun: string; node: string };
  /** The Nexus code measured: HEAD and any uncommitted server files (a shared checkout moves). */
  code: { commit: string; uncommitted: string[] };
  systems: Partial<Record<TargetName, Omit<SystemResult, "target">>>;
  ratios: Record<string, Record<string, number | null>>;
  columns: Column[];
}

/** Benchmarks run the working tree: say which commit, and which server files differ from it. */
export function codeState(): { commit: string; uncommitted: string[] } {
  const git = (...args: string[]) => Bun.spawnSync(["git", ...args], { cwd: ROOT }).stdout.toString().trimEnd();
  try {
    const uncommitted = git("status", "--porcelain", "--", "actors", "edge", "hosts", "protocol")
      .split("\n")
      .filter(Boolean)
      .map((l) => l.slice(3));
    return { commit: git("rev-parse", "--short", "HEAD"), uncommitted };
  } catch {
    return { commit: "?", uncommitted: [] };
  }
}

export function host() {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "?", bun: Bun.version, node: nodeVersion() };
}

function nodeVersion(): string {
  try {
    return Bun.spawnSync(["node", "--version"]).stdout.toString().trim();
  } catch {
    return "?";
  }
}

function ratio(a: unknown, b: unknown): number | null {
  return typeof a === "number" && typeof b === "number" && b !== 0 ? Math.round((a / b) * 100) / 100 : null;
}

export function buildReport(s: Scenario, mode: string, workload: string, results: SystemResult[]): ScenarioReport {
  const systems: ScenarioReport["systems"] = {};
  for (const { target, ...rest } of results) systems[target] = rest;
  const ratios: ScenarioReport["ratios"] = {};
  const nx = systems.nexus?.metrics;
  for (const other of ["socketio", "rawBun"] as const) {
    const om = systems[other]?.metrics;
    if (!nx || !om) continue;
    const row: Record<string, number | null> = {};
    for (const c of s.columns) if (c.ratio) row[c.key] = ratio(nx[c.key], om[c.key]);
    ratios[`nexus/${other}`] = row;
  }
  return { ts: new Date().toISOString(), mode, scenario: s.name, title: s.title, workload, host: host(), code: codeState(), systems, ratios, columns: s.columns };
}

const fmt = (v: unknown): string =>
  v === null || v === undefined ? "–" : typeof v === "number" ? (Number.isInteger(v) ? v.toLocaleString("en") : String(v)) : String(v);

/** Markdown table (reads fine in a terminal too). */
export function table(r: ScenarioReport): string {
  const head = ["system", ...r.columns.map((c) => c.label)];
  const rows: string[][] = [];
  for (const [name, sys] of Object.entries(r.systems)) {
    if (sys.skipped) rows.push([name, `skipped: ${sys.skipped}`, ...r.columns.slice(1).map(() => "")]);
    else rows.push([name + (sys.error ? " ⚠" : ""), ...r.columns.map((c) => fmt(sys.metrics[c.key]))]);
  }
  for (const [name, row] of Object.entries(r.ratios))
    rows.push([`ratio ${name}`, ...r.columns.map((c) => (c.ratio ? fmt(row[c.key]) + (row[c.key] !== null ? "x" : "") : ""))]);
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)];
  const notes = Object.entries(r.systems)
    .filter(([, s]) => s.error)
    .map(([n, s]) => `- ⚠ ${n}: ${s.error}`);
  return [`### ${r.title}`, "", `Workload: ${r.workload}`, "", ...lines, ...(notes.length ? ["", ...notes] : [])].join("\n");
}

/** Every target of issues #4 and #21 (and #15's cluster CPU when a cluster target ran), measured or not, each against the numbers of this run. The
 *  throughput targets are per core of the server's own CPU (#21), so they hold on any box. */
export function targetsCheck(reports: ScenarioReport[]): string {
  const of = (name: string) => reports.find((r) => r.scenario === name);
  const num = (v: unknown) => (typeof v === "number" ? v : null);
  const lines: string[] = [];
  const check = (label: string, ok: boolean | null, got: string) =>
    lines.push(`| ${label} | ${got} | ${ok === null ? "not measured" : ok ? "met" : "NOT met"} |`);
  const sat = of("saturation");
  const satNx = sat?.systems.nexus?.metrics;
  const perCore = (other: string) => num(sat?.ratios[`nexus/${other}`]?.perCoreAtSat);
  const vsSio = perCore("socketio");
  const vsRaw = perCore("rawBun");
  check(">= 8x Socket.IO+Redis deliveries per server core (saturation)", vsSio === null ? null : vsSio >= 8, vsSio === null ? "–" : `${vsSio}x`);
  check(">= 60% of raw Bun pub/sub deliveries per server core (saturation)", vsRaw === null ? null : vsRaw >= 0.6, vsRaw === null ? "–" : `${Math.round(vsRaw * 100)}%`);
  const p99Half = num(satNx?.p99AtHalf);
  check("p99 < 50 ms at half of saturation", p99Half === null ? null : p99Half < 50, `${fmt(p99Half)} ms`);
  let bad: number | null = null;
  for (const r of reports) {
    const m = r.systems.nexus?.metrics;
    if (!m || (!["fanout", "saturation"].includes(r.scenario) && !r.scenario.startsWith("everyday-"))) continue;
    bad = (bad ?? 0) + ["lost", "outOfOrder", "duplicates", "oooTotal", "dupTotal", "lostAtHalf"].reduce((a, k) => a + (num(m[k]) ?? 0), 0);
  }
  check("zero lost, duplicated or misordered messages", bad === null ? null : bad === 0, bad === null ? "–" : `${bad} lost+dup+ooo`);
  // #15: what cluster mode costs, beside the single node in the same fan-out run (all its processes:
  // nodes, nats-servers, redis-servers, libSQL servers).
  // With several rounds the ratio is taken within each round (the box drifts by more than 20%
  // between minutes: bench/README.md, #15) and judged by its median.
  const fan = of("fanout")?.systems;
  const fanCpu = (t: TargetName) => num(fan?.[t]?.metrics.serverCpuUsPerDelivery);
  const single = fanCpu("nexus");
  for (const t of ["nexusCluster", "nexusRegions"] as const) {
    const c = fanCpu(t);
    if (c === null) continue;
    const label = `${t}: server CPU per delivery <= 2x the single node's (fan-out, #15)`;
    const perRound = sameRoundRatios(fan?.[t]?.rounds, fan?.nexus?.rounds);
    if (perRound) {
      const mid = medianOf(perRound);
      check(label, mid <= 2, `${mid.toFixed(2)}x, the median of ${perRound.length} rounds' ratios (${perRound.map((x) => `${x.toFixed(2)}x`).join(", ")}); <= 2x in ${perRound.filter((x) => x <= 2).length}`);
    } else
      check(label, single === null ? null : c <= 2 * single, single === null ? `${c} µs` : `${c} vs ${single} µs (${(c / single).toFixed(1)}x)`);
  }
  for (const r of reports.filter((x) => x.scenario.startsWith("everyday-") && !x.scenario.includes("room"))) {
    const m = r.systems.nexus?.metrics;
    const us = num(m?.serverCpuUsPerMessage);
    const p99 = num(m?.p99);
    const vs = num(r.ratios["nexus/socketio"]?.serverCpuUsPerMessage);
    const shape = r.scenario.slice("everyday-".length);
    check(`${shape}: server CPU <= 100 µs per message`, us === null ? null : us <= 100, us === null ? "–" : `${us} µs`);
    check(`${shape}: p99 <= 10 ms`, p99 === null ? null : p99 <= 10, `${fmt(p99)} ms`);
    check(`${shape}: >= 3x cheaper per message than Socket.IO+Redis`, vs === null ? null : vs <= 1 / 3, vs === null ? "–" : `${Math.round((1 / vs) * 10) / 10}x`);
  }
  const idle = of("idle")?.systems.nexus?.metrics;
  const idleCpu = num(idle?.idleCpuPct);
  const perSocket = num(idle?.rssPerConnKB);
  const held = num(idle?.held);
  check(`idle: < 1% of a core holding ${held ?? "10k"} sockets`, idleCpu === null ? null : idleCpu < 1, idleCpu === null ? "–" : `${idleCpu}%`);
  check("idle: <= 4 KB RSS per socket", perSocket === null ? null : perSocket <= 4, perSocket === null ? "–" : `${perSocket} KB`);
  return ["### Targets (issues #4, #15 and #21; Nexus; throughput per server core)", "", "| target | measured | status |", "|---|---|---|", ...lines].join("\n");
}

export function latestMarkdown(reports: ScenarioReport[], mode: string): string {
  const h = host();
  const code = reports[0]?.code ?? codeState();
  const dirty = code.uncommitted.length ? ` plus uncommitted changes to ${code.uncommitted.join(", ")}` : "";
  return [
    `## Latest results (${mode} mode, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC)`,
    "",
    `Host: ${h.cpus} x ${h.cpuModel}; Bun ${h.bun}; Node ${h.node}. Nexus at ${code.commit}${dirty}.`,
    "Latencies in ms; CPU in % of one core; ratios are Nexus / the other system (for latencies, > 1 means slower).",
    "",
    ...reports.flatMap((r) => [table(r), ""]),
    targetsCheck(reports),
    "",
  ].join("\n");
}

const RESULTS = `${ROOT}/bench/results`;

export function appendJsonl(r: ScenarioReport): void {
  mkdirSync(RESULTS, { recursive: true });
  const { columns: _, ...line } = r;
  appendFileSync(`${RESULTS}/results.jsonl`, JSON.stringify(line) + "\n");
}

/** Quick runs (the default) go to latest.md and the README; other modes to latest-<mode>.md only, so
 *  a full run does not replace the table a reader of the README compares against. */
export function writeLatest(md: string, mode: string): void {
  mkdirSync(RESULTS, { recursive: true });
  if (mode !== "quick") {
    writeFileSync(`${RESULTS}/latest-${mode}.md`, md);
    return;
  }
  writeFileSync(`${RESULTS}/latest.md`, md);
  const readme = `${ROOT}/bench/README.md`;
  if (!existsSync(readme)) return;
  const text = readFileSync(readme, "utf8");
  const start = "<!-- latest:start -->";
  const end = "<!-- latest:end -->";
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) return;
  writeFileSync(readme, text.slice(0, a + start.length) + "\n" + md + "\n" + text.slice(b));
}

/** Each round's `a` over the same round's `b` (rounds run the systems minutes apart, so only a
 *  ratio within a round means anything); null unless both have every round's figure. */
export function sameRoundRatios(a: unknown[] | undefined, b: unknown[] | undefined): number[] | null {
  if (!a || !b || a.length < 2 || a.length !== b.length) return null;
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (typeof x !== "number" || typeof y !== "number" || y <= 0) return null;
    out.push(x / y);
  }
  return out;
}

const medianOf = (xs: number[]): number => {
  const s = [...xs].sort((p, q) => p - q);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
