/**
 * The contract every benchmarked system implements, in two halves:
 *  - `TargetServer` runs in the coordinator: starts the system's processes on free ports, prepares
 *    users and groups, and stops everything by PID.
 *  - `TargetClient` runs inside load-generator processes: opens the socket of one member of one
 *    group, sends a payload string, and reports every payload it is delivered.
 * A MemberSpec is the plain-JSON bridge between the two (it crosses the IPC boundary).
 */

export type TargetName = "rawBun" | "socketio" | "nexus" | "nexusCluster" | "nexusRegions";
export const TARGET_NAMES: TargetName[] = ["rawBun", "socketio", "nexus", "nexusCluster", "nexusRegions"];
/** What `npm run bench` measures unless `--targets` says otherwise; the cluster targets are opt-in
 *  (`--targets=nexus,nexusCluster,nexusRegions --scenarios=fanout`): on two cores they share the
 *  box with four more server processes, so they say what crossing nodes costs, not how a cluster scales. */
export const DEFAULT_TARGETS: TargetName[] = ["rawBun", "socketio", "nexus"];

export interface Workload {
  /** Number of groups (rooms / topics / conversations). */
  groups: number;
  /** Members per group; each member is one user. */
  members: number;
  /** Sockets opened per member (connection scenario: several devices per user). */
  socketsPerMember?: number;
}

export interface MemberSpec {
  /** Group index, 0..groups-1. */
  g: number;
  /** Member index inside the group. */
  m: number;
  /** Global sender id: unique per socket. */
  id: number;
  /** Target-specific connection data (URL, token, conversation id …). */
  conn: Record<string, string>;
}

export interface TargetServer {
  readonly name: TargetName;
  /** Human description for reports (process count, persistence …). */
  readonly description: string;
  /** PIDs whose CPU and RSS count as "the server". */
  pids(): number[];
  /** Every process still running (a dead server is restarted before the next scenario). */
  alive(): boolean;
  /** Socket specs for a workload; users/groups are created once per server per groups x members. */
  prepare(w: Workload): Promise<MemberSpec[]>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Where persistent state may go (Nexus DATA_DIR); removed by the caller afterwards. */
  tmpDir: string;
  verbose?: boolean;
}

export interface Target {
  readonly name: TargetName;
  start(opts: StartOptions): Promise<TargetServer>;
}

export interface DeliveryHooks {
  /** A payload string delivered to this socket. */
  deliver(payload: string): void;
  /** The server confirmed one of our sends (Nexus: the durable ack); latency in ms. */
  ack?(latencyMs: number): void;
  /** A server-side error frame or failed send. */
  error(code: string): void;
  /** The socket closed (expected or not). */
  closed(code: number): void;
}

export interface ClientConn {
  send(payload: string, counter: number): void;
  close(): void;
}

export interface TargetClient {
  connect(spec: MemberSpec, hooks: DeliveryHooks): Promise<ClientConn>;
}
