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

/** The issue #4 targets, checked against this run's fan-out and saturation reports. */
export function targetsCheck(reports: ScenarioReport[]): string {
  const sat = reports.find((r) => r.scenario === "saturation");
  const fan = reports.find((r) => r.scenario === "fanout");
  const lines: string[] = [];
  const check = (label: string, ok: boolean | null, got: string) =>
    lines.push(`| ${label} | ${got} | ${ok === null ? "not measured" : ok ? "met" : "NOT met"} |`);
  const satNx = sat?.systems.nexus?.metrics;
  const vsSio = sat?.ratios["nexus/socketio"]?.saturationPerSec ?? null;
  const vsRaw = sat?.ratios["nexus/rawBun"]?.saturationPerSec ?? null;
  check(">= 5x Socket.IO+Redis delivered msgs/s (saturation)", vsSio === null ? null : vsSio >= 5, vsSio === null ? "–" : `${vsSio}x`);
  const p99Half = satNx?.p99AtHalf;
  check("p99 < 50 ms at half of saturation", typeof p99Half === "number" ? p99Half < 50 : null, fmt(p99Half) + " ms");
  const fm = fan?.systems.nexus?.metrics;
  const bad = fm ? Number(fm.lost) + Number(fm.outOfOrder) + Number(fm.duplicates) + Number(satNx?.oooTotal ?? 0) + Number(satNx?.lostAtHalf ?? 0) : null;
  check("zero misordered or lost messages", bad === null ? null : bad === 0, bad === null ? "–" : `${bad} lost+dup+ooo`);
  check(">= 60% of raw Bun pub/sub throughput while persisting", vsRaw === null ? null : vsRaw >= 0.6, vsRaw === null ? "–" : `${Math.round(vsRaw * 100)}%`);
  return ["### Issue #4 targets (Nexus)", "", "| target | measured | status |", "|---|---|---|", ...lines].join("\n");
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
