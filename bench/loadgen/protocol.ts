/** Messages between the coordinator and load-generator processes (Bun IPC, structured clone). */
import type { HistogramJson } from "../lib/histogram.ts";
import type { MemberSpec, TargetName } from "../targets/types.ts";

export type ToWorker =
  | { op: "init"; target: TargetName; specs: MemberSpec[]; concurrency: number }
  | { op: "run"; runId: number; ratePerSender: number; durationMs: number; drainMs: number; senderFraction?: number }
  | { op: "count" }
  | { op: "close" };

export interface RunStats {
  /** Messages sent in the run. */
  sent: number;
  /** Deliveries the run's messages should produce (sent × members connected). */
  expected: number;
  /** Distinct deliveries of the run's messages, drain included. */
  delivered: number;
  /** Deliveries received while senders were sending (the throughput numerator). */
  deliveredInWindow: number;
  windowMs: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
  /** Frames that were not a bench payload. */
  foreign: number;
  latency: HistogramJson;
  ackLatency: HistogramJson;
  acks: number;
  errors: Record<string, number>;
  unexpectedCloses: number;
  /** Load generator CPU during the run (user + system), ms. */
  cpuMs: number;
  wallMs: number;
  drainMs: number;
}

export type FromWorker =
  | { op: "ready"; connected: number; failed: number; firstError?: string; connectMs: number }
  | { op: "progress"; runId: number; sent: number; delivered: number }
  | { op: "result"; runId: number; stats: RunStats }
  | { op: "count"; open: number; rss: number }
  | { op: "fatal"; message: string };
