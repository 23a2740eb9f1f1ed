/**
 * Workload profiles. Quick mode keeps one run of every scenario on every system under two minutes
 * on the 2-core reference box; full mode is what README numbers should come from.
 */
export interface FanoutConfig {
  groups: number;
  members: number;
  /** Messages per second per member (every member sends). */
  ratePerSender: number;
  durationMs: number;
  warmupMs: number;
  drainMs: number;
  /** Load-generator processes. One leaves the other core to the server. */
  workers: number;
}

export interface SaturationConfig {
  groups: number;
  members: number;
  startRatePerSender: number;
  factor: number;
  maxSteps: number;
  stepMs: number;
  drainMs: number;
  p99LimitMs: number;
  /** Steps between the last good and the first bad rate (each halves the gap, geometrically). */
  refineSteps: number;
  /** A ramp step that failed on p99 alone is run once more before it ends the ramp (refinement
   *  steps are not; a loss or an unexpected close always ends it). */
  confirmFailures: boolean;
  workers: number;
}

export interface ConnectionsConfig {
  groups: number;
  members: number;
  socketsPerMember: number;
  holdMs: number;
  /** The server's CPU is counted from this long into the hold (default 1 s, at most half of it). */
  settleMs?: number;
  /** At most this many sockets per load-generator process (ulimit -n is 20000 here). */
  perWorker: number;
}

export interface HistoryConfig {
  conversations: number;
  messagesPerConversation: number;
  /** Sends in flight per sending socket while building the database. */
  window: number;
  pageQueries: number;
  searchQueries: number;
  /** Stop issuing page / search queries after this long (each), and report how many ran. */
  queryBudgetMs: number;
}

/** One everyday shape (issue #21): `senders` < `members` only with one conversation (the first
 *  members send). */
export interface EverydayShape {
  name: string;
  groups: number;
  members: number;
  senders?: number;
  ratePerSender: number;
}

export interface EverydayConfig {
  shapes: EverydayShape[];
  durationMs: number;
  warmupMs: number;
  drainMs: number;
  workers: number;
}

export interface BenchConfig {
  mode: "quick" | "full" | "tiny";
  fanout: FanoutConfig;
  saturation: SaturationConfig;
  connections: ConnectionsConfig;
  /** Idle sockets held while the server's CPU is measured (issue #21's idle target). */
  idle: ConnectionsConfig;
  everyday: EverydayConfig;
  history: HistoryConfig;
}

/** The shapes of issue #21, the same in every mode but tiny. */
const everydayShapes: EverydayShape[] = [
  { name: "100x10@1", groups: 100, members: 10, ratePerSender: 1 },
  { name: "500x2@2", groups: 500, members: 2, ratePerSender: 2 },
  { name: "room500", groups: 1, members: 500, senders: 10, ratePerSender: 2 },
];

export const quick: BenchConfig = {
  mode: "quick",
  fanout: { groups: 20, members: 10, ratePerSender: 5, durationMs: 3000, warmupMs: 1000, drainMs: 5000, workers: 1 },
  saturation: {
    groups: 20, members: 10, startRatePerSender: 4, factor: 2, maxSteps: 8, stepMs: 1500, drainMs: 3000,
    p99LimitMs: 100, refineSteps: 3, confirmFailures: true, workers: 1,
  },
  connections: { groups: 10, members: 5, socketsPerMember: 40, holdMs: 1000, perWorker: 15_000 },
  // Idle means held, not just opened: CPU from 10 s into the hold (bench/README.md, #21: the first
  // seconds after 10k opens are the opening's garbage being collected, 1.1-1.7% of a core).
  idle: { groups: 100, members: 10, socketsPerMember: 10, holdMs: 20_000, settleMs: 10_000, perWorker: 10_000 },
  everyday: { shapes: everydayShapes, durationMs: 15_000, warmupMs: 3000, drainMs: 3000, workers: 1 },
  history: { conversations: 10, messagesPerConversation: 5000, window: 64, pageQueries: 300, searchQueries: 60, queryBudgetMs: 5000 },
};

export const full: BenchConfig = {
  mode: "full",
  fanout: { groups: 100, members: 10, ratePerSender: 2, durationMs: 15_000, warmupMs: 3000, drainMs: 10_000, workers: 1 },
  saturation: {
    groups: 100, members: 10, startRatePerSender: 0.5, factor: 1.4, maxSteps: 16, stepMs: 5000, drainMs: 8000,
    p99LimitMs: 100, refineSteps: 1, confirmFailures: true, workers: 1,
  },
  connections: { groups: 50, members: 10, socketsPerMember: 38, holdMs: 10_000, perWorker: 10_000 },
  idle: { groups: 100, members: 10, socketsPerMember: 10, holdMs: 40_000, settleMs: 10_000, perWorker: 10_000 },
  everyday: { shapes: everydayShapes, durationMs: 60_000, warmupMs: 5000, drainMs: 5000, workers: 1 },
  history: { conversations: 10, messagesPerConversation: 100_000, window: 128, pageQueries: 1000, searchQueries: 300, queryBudgetMs: 120_000 },
};

/** What `npm test` runs: only proves the harness counts correctly. */
export const tiny: BenchConfig = {
  mode: "tiny",
  fanout: { groups: 3, members: 4, ratePerSender: 20, durationMs: 700, warmupMs: 200, drainMs: 5000, workers: 2 },
  saturation: {
    groups: 3, members: 4, startRatePerSender: 20, factor: 2, maxSteps: 2, stepMs: 500, drainMs: 3000,
    p99LimitMs: 100, refineSteps: 1, confirmFailures: false, workers: 1,
  },
  connections: { groups: 3, members: 4, socketsPerMember: 2, holdMs: 200, perWorker: 15_000 },
  idle: { groups: 3, members: 4, socketsPerMember: 2, holdMs: 500, perWorker: 15_000 },
  everyday: {
    shapes: [
      { name: "3x4@5", groups: 3, members: 4, ratePerSender: 5 },
      { name: "room12", groups: 1, members: 12, senders: 3, ratePerSender: 5 },
    ],
    durationMs: 700, warmupMs: 200, drainMs: 5000, workers: 1,
  },
  history: { conversations: 2, messagesPerConversation: 120, window: 16, pageQueries: 10, searchQueries: 6, queryBudgetMs: 10_000 },
};

export const profiles = { quick, full, tiny };
