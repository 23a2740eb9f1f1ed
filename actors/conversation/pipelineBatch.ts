/**
 * What the commit pipeline (commitPipeline.ts) carries: a batch of ops between its submission to
 * storage and its application, which drafts may join a batch in flight, and how a caller is answered.
 */
import type { AttachmentRef } from "../../protocol/index.ts";
import type { Accepted } from "./applyBatch.ts";
import type { Draft, Working } from "./drafts.ts";
import type { Op } from "./state.ts";

/**
 * A batch submitted to storage and not yet applied. A plain batch stays open (more prepared
 * messages join it) until the Sql takes it into a transaction; then `take` gives it seqs.
 */
export interface Batch {
  ops: Op[];
  plain: boolean;
  /** Non-plain: the working copy prepared for it (members, targets). */
  w: Working | null;
  attachments: Map<string, AttachmentRef>;
  accepted: Accepted[];
  taken: boolean;
}

export const ignore = () => {};

/** Drafts that may be pipelined behind a batch in flight (see the header). */
export const plain = (d: Draft) => (d.kind === "message" && d.threadRoot === undefined) || d.kind === "call";

/** Callers' callbacks run inside the pipeline (even inside a Sql taking a batch): one that throws
 *  must not leave the rest of a batch unanswered. */
export function answer(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    console.error("[conversation] a caller's callback threw", e);
  }
}
