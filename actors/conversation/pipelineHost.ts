/** What the write path (commitPipeline.ts, applyBatch.ts) needs from its conversation actor. */
import type { ConversationEvent } from "../../protocol/index.ts";
import type { ConversationDeps } from "./deps.ts";
import type { Fanout } from "./fanout.ts";
import type { State } from "./state.ts";
import type { TypingTracker } from "./typing.ts";

export interface PipelineHost {
  readonly id: string;
  readonly deps: ConversationDeps;
  readonly fanout: Fanout;
  readonly typing: TypingTracker;
  current(): State | null;
  /** A batch is applied; `removed` members' sockets are already closed. */
  committed(s: State, removed: string[]): void;
  /** A sender's read cursor moved to its own message: stored behind, with explicit reads. */
  readMoved(userId: string, seq: number): void;
  /** Storage may differ from the state (only called when deps.onDiverged is set). */
  diverged(): void;
  /** Storage could not be reached (only when deps.onDiverged is set): go read-only (storageOutage.ts). */
  storageLost(reason: unknown): void;
  /** Committed events, in seq order (kept in memory for reads while storage is unreachable). */
  appended(events: ConversationEvent[]): void;
}
