/**
 * Attachment bytes that storage no longer references. Rows live in the conversation's Sql, bytes in
 * the host's BlobStore; a message delete removes the rows in its commit, and the bytes are removed
 * here only after that commit (durable first: a crash in between leaves bytes without a row, which
 * the host's sweep removes, never a row without bytes). A failed delete is logged and retried a few
 * times; after that the sweep finds it.
 *
 * One per Sql, like SearchIndexer.for(sql): the store that commits the delete and the host that owns
 * the blob store meet here without every actor constructor carrying the blob store.
 * Also the rule that keeps a sweep from racing a send: an upload older than `referenceWindowMs` can no
 * longer be referenced by a message (preCommitReads.ts), and sweeps take only uploads older than that
 * window plus a margin, so no commit in flight can still reference what a sweep deletes.
 */

/** Where an attachment's bytes are kept in a BlobStore (edge/routes/attachments.ts uses the same). */
export const attachmentBlobKey = (conversationId: string, attachmentId: string) => `${conversationId}/${attachmentId}`;

export interface BlobDeleter {
  delete(key: string): Promise<void>;
}

const RETRIES = [1_000, 10_000, 60_000];

export class AttachmentBlobs {
  private static readonly bySql = new WeakMap<object, AttachmentBlobs>();

  static for(sql: object): AttachmentBlobs {
    let a = AttachmentBlobs.bySql.get(sql);
    if (!a) AttachmentBlobs.bySql.set(sql, (a = new AttachmentBlobs()));
    return a;
  }

  /** Set by the host; until then (tests without blobs) nothing is deleted. */
  blobs: BlobDeleter | null = null;
  /** How long an upload may stay unreferenced and still be attached to a message (default 24 h). */
  referenceWindowMs = 24 * 3600_000;
  now: () => number = () => Date.now();
  /** Deletes started and not yet settled (tests wait for them). */
  private pending = new Set<Promise<void>>();

  /** The rows of these attachments were deleted by a committed batch: delete their bytes. */
  dropped(conversationId: string, attachmentIds: string[]): void {
    const blobs = this.blobs;
    if (!blobs) return;
    for (const id of attachmentIds) this.track(this.deleteWithRetries(blobs, attachmentBlobKey(conversationId, id)));
  }

  /** Resolves once every delete started so far has settled (succeeded or given up). */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private async deleteWithRetries(blobs: BlobDeleter, key: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await blobs.delete(key);
        return;
      } catch (e) {
        const wait = RETRIES[attempt];
        console.error(`[attachments] deleting the bytes of ${key} failed (${(e as Error)?.message ?? e})${wait ? `; retrying in ${wait} ms` : "; left to the sweep"}`);
        if (wait === undefined) return;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }
}
