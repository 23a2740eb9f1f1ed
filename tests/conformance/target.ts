/**
 * What a host must provide to be checked by the conformance suite.
 *
 * The suite starts one target per guarantee (each file calls the factory with the limits it
 * needs) and stops it afterwards. Limits are passed as environment-style overrides, named after
 * protocol/limits.ts: NEXUS_<LIMIT_IN_SCREAMING_SNAKE_CASE>, e.g. NEXUS_REPLAY_CAP=20.
 */
import { LIMIT_VARS } from "../../edge/config.ts";
export interface Target {
  /** Base URL (http://127.0.0.1:PORT). Read it again after `restart`: it may change. */
  url: string;
  /** Stop the server and release everything it holds. */
  stop(): Promise<void>;
  /** Crash the server (kill -9 or equivalent) and start it again on the same data. */
  restart?(): Promise<void>;
  /** The keys in the host's blob store that start with `prefix`, read from the store itself (not
   *  over HTTP): lets a test see that bytes are gone, not only no longer served. Absent: unchecked. */
  blobKeys?(prefix: string): Promise<string[]>;
}

export type TargetFactory = (env?: Record<string, string>) => Promise<Target>;

export interface SuiteOptions {
  /** false: the host cannot crash and restart on the same data, so durability tests are skipped. */
  restartable?: boolean;
}

/** Environment names of the limits the suite sets (protocol/limits.ts → env), as the server reads them. */
export const LimitEnv = LIMIT_VARS;
