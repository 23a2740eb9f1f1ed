/**
 * The attachment sweep of a Bun node (docs/operations.md, "Attachments"). Every interval it deletes
 * 1. uploads no live message references, older than the reference window plus a margin: their row,
 *    then their bytes. Messages may only reference uploads younger than the window
 *    (actors/conversation/preCommitReads.ts), so no send in flight can still reference what this
 *    takes, although it writes beside the conversation actors;
 * 2. bytes without a row that are older than the same age: a message delete whose blob delete
 *    failed or was cut by a crash (rows go first, actors/storage/attachmentBlobs.ts), or an upload
 *    whose row was never written.
 * Only for a node that holds all of its attachments' rows in its Sql (one process, `npm start`).
 */
import type { Sql } from "../../actors/storage/sql.ts";
import { attachmentBlobKey, AttachmentBlobs } from "../../actors/storage/attachmentBlobs.ts";
import type { BlobStore } from "../../edge/host.ts";

export interface SweepOptions {
  /** The reference window (AttachmentBlobs.referenceWindowMs). */
  ttlMs: number;
  /** Extra age before a sweep takes an upload: longer than any commit takes. Default min(ttl, 1 h). */
  marginMs?: number;
  now?: () => number;
  /** Rows looked at per run (the rest wait for the next run). */
  batch?: number;
}

/** A blob store that can list what it holds (DiskBlobStore). */
type Listable = BlobStore & { entries?(): AsyncIterable<{ key: string; mtimeMs: number }> };

/** Live messages referencing attachment `a` (the message body keeps its attachment refs as JSON). */
const REFERENCED = `EXISTS (SELECT 1 FROM events e, json_each(e.body, '$.attachments') j
  WHERE e.conv_id = a.conv_id AND e.kind = 'message' AND e.deleted = 0 AND json_extract(j.value, '$.id') = a.id)`;

export class AttachmentSweep {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<{ uploads: number; orphans: number }> | null = null;
  private readonly now: () => number;

  constructor(private readonly sql: Sql, private readonly blobs: Listable, private readonly opts: SweepOptions) {
    this.now = opts.now ?? Date.now;
    // Sends check uploads against the same window and clock (see the header).
    const policy = AttachmentBlobs.for(sql);
    policy.referenceWindowMs = opts.ttlMs;
    policy.now = this.now;
  }

  private get cutoff(): number {
    return this.now() - this.opts.ttlMs - (this.opts.marginMs ?? Math.min(this.opts.ttlMs, 3_600_000));
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.run().catch((e) => console.error("[attachments] sweep failed", e)), intervalMs);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  /** One sweep (runs never overlap); how many uploads and orphaned blobs it deleted. */
  run(): Promise<{ uploads: number; orphans: number }> {
    return (this.running ??= this.sweep().finally(() => (this.running = null)));
  }

  private async sweep(): Promise<{ uploads: number; orphans: number }> {
    const cutoff = this.cutoff;
    let uploads = 0;
    const rows = await this.sql.all<{ conv_id: string; id: string }>(
      `SELECT conv_id, id FROM attachments a WHERE created_ts < ? AND NOT ${REFERENCED} LIMIT ?`, [cutoff, this.opts.batch ?? 1000]);
    for (const r of rows) {
      // Checked again in the delete itself: a row is only ever taken while unreferenced.
      const { changes } = await this.sql.run(`DELETE FROM attachments AS a WHERE conv_id = ? AND id = ? AND NOT ${REFERENCED}`, [r.conv_id, r.id]);
      if (changes === 0) continue;
      await this.blobs.delete(attachmentBlobKey(r.conv_id, r.id));
      uploads++;
    }
    let orphans = 0;
    if (this.blobs.entries)
      for await (const { key, mtimeMs } of this.blobs.entries()) {
        if (mtimeMs >= cutoff) continue;
        const [convId, id] = key.split("/") as [string, string];
        if (await this.sql.first("SELECT 1 AS x FROM attachments WHERE conv_id = ? AND id = ?", [convId, id])) continue;
        await this.blobs.delete(key);
        orphans++;
      }
    if (uploads || orphans) console.log(`[attachments] sweep deleted ${uploads} unreferenced uploads and ${orphans} orphaned blobs`);
    return { uploads, orphans };
  }
}
