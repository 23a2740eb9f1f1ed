/** The shape every scenario module exports, so run.ts and the report treat them alike. */
import type { BenchConfig } from "../config.ts";
import type { Ctx } from "../lib/context.ts";
import type { Target, TargetName } from "../targets/types.ts";

export type Metrics = Record<string, number | string | null | Record<string, number>>;

export interface SystemResult {
  target: TargetName;
  description?: string;
  /** Set when the system could not be measured; metrics may then be partial. */
  error?: string;
  /** Set when the scenario does not apply to this system (e.g. history without persistence). */
  skipped?: string;
  metrics: Metrics;
  /** With several rounds: every round's value of the scenario's `medianBy` metric, in run order. */
  rounds?: Metrics[string][];
}

export interface Column {
  key: string;
  label: string;
  /** Included in the Nexus / other ratios. */
  ratio?: boolean;
}

export interface Scenario {
  name: "fanout" | "saturation" | "connections" | "idle" | "history" | `everyday-${string}`;
  title: string;
  /** Human summary of the workload for this config. */
  workload(cfg: BenchConfig): string;
  columns: Column[];
  /** With several rounds, each system's reported round is its median by this metric: the figure
   *  the scenario's targets judge (default: the first ratio column). */
  medianBy?: string;
  run(target: Target, cfg: BenchConfig, ctx: Ctx): Promise<SystemResult>;
}
