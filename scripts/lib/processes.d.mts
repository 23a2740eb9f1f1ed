/** Types of processes.mjs (plain JavaScript so that Node without a TypeScript loader runs it). */

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Spawned {
  readonly pid: number;
  readonly name: string;
  /** File holding the child's stdout and stderr. */
  readonly logPath: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  running(): boolean;
  /** The captured output so far (last `maxChars` characters, default 4000). */
  log(maxChars?: number): string;
  /** SIGTERM the group, then SIGKILL after `graceMs` (default 5000); resolves once the process is gone. */
  stop(graceMs?: number): Promise<Exit>;
  /** SIGKILL at once (a crash); resolves once the process is gone. */
  kill(): Promise<Exit>;
}

export interface SpawnOptions {
  /** Short label used in log file names and error messages. */
  name?: string;
  cwd?: string;
  /** Added to (and overriding) the parent's environment; undefined removes a variable. */
  env?: Record<string, string | undefined>;
  /** Append to this file (a line marks each start) instead of a fresh temp file. */
  logPath?: string;
  /** Also copy the output to our stderr, each line prefixed with `[echo]`. */
  echo?: string;
}

export declare function freePort(): Promise<number>;
export declare function freePorts(n: number): Promise<number[]>;
export declare function portFree(port: number, host?: string): Promise<boolean>;
export declare function isAlive(pid: number): boolean;
export declare function stopProcess(pid: number, exited: Promise<unknown>, graceMs?: number): Promise<boolean>;
export declare function killPid(pid: number, graceMs?: number): Promise<void>;
export declare function killAll(): void;
export declare function killChildrenOnSignals(): void;
export declare function runInForeground(
  tag: string,
  cmd: string,
  args: string[],
  opts?: { cwd?: string; env?: NodeJS.ProcessEnv; signals?: NodeJS.Signals[] },
): Promise<number>;
export declare function spawnLogged(cmd: string, args: string[], opts?: SpawnOptions): Spawned;

export interface WaitOptions {
  timeoutMs?: number;
  /** Fail at once (with its log) if this process exits while we wait. */
  proc?: Spawned;
}
export declare function waitForHttp(
  url: string,
  opts?: WaitOptions & { ok?: (status: number) => boolean; intervalMs?: number },
): Promise<void>;
export declare function waitForTcp(port: number, opts?: WaitOptions & { host?: string }): Promise<void>;
export declare function tempDir(prefix?: string): string;
