/**
 * The attachment sweep, one logic for every host (docs/operations.md, "Attachment quota and
 * cleanup"). A run deletes
 * 1. uploads no live message references, older than the reference window plus a margin: their row,
 *    then their bytes. Messages may only reference uploads younger than the window
 *    (actors/conversation/preCommitReads.ts), so no send in flight can still reference what this
 *    takes, although it writes beside the conversation actors;
 * 2. when the blob store can list what it holds: bytes without a row that are older than the same
 *    age (a message delete whose blob delete failed or was cut by a crash, rows going first as
 *    attachmentBlobs.ts says; an upload whose row was never written). Only where this Sql holds
 *    every row of the listed keys: one Bun process, or one Durable Object listing its own prefix.
 * Hosts only decide when it runs and where: a timer on one Bun node (hosts/bun/attachmentSweep.ts),
 * the same timer behind a Redis lease per region in a cluster, an alarm in each ConversationDO.
 */
import type { Sql } from "./sql.ts";
import { attachmentBlobKey, AttachmentBlobs, type BlobDeleter } from "./attachmentBlobs.ts";

/** Blob folders of pictures, not uploads: user avatars (edge/routes/profiles.ts AVATAR_FOLDER) and
 *  group pictures (edge/routes/groupProfile.ts GROUP_PICTURE_FOLDER). The sweep leaves them alone. */
export const PICTURE_FOLDERS = new Set(["avatars", "group-pictures"]);

export interface SweepOptions {
  /** The reference window (AttachmentBlobs.referenceWindowMs). */
  ttlMs: number;
  /** Extra age before a sweep takes an upload: longer than any commit takes. Default min(ttl, 1 h). */
  marginMs?: number;
  now?: () => number;
  /** Rows looked at per run (the rest wait for the next run). */
  batch?: number;
  /** Only this conversation's rows (a Durable Object's own SQLite). */
  conversationId?: string;
}

/** A blob store the sweep deletes from; with `entries`, it can also list what it holds (step 2). */
export type SweepableBlobs = BlobDeleter & { entries?(): AsyncIterable<{ key: string; mtimeMs: number }> };

/** Live messages referencing attachment `a` (the message body keeps its attachment refs as JSON). */
const REFERENCED = `EXISTS (SELECT 1 FROM events e, json_each(e.body, '$.attachments') j
  WHERE e.conv_id = a.conv_id AND e.kind = 'message' AND e.deleted = 0 AND json_extract(j.value, '$.id') = a.id)`;

export const sweepMarginMs = (ttlMs: number) => Math.min(ttlMs, 3_600_000);

export class AttachmentSweep {
  private running: Promise<{ uploads: number; orphans: number }> | null = null;
  private readonly now: () => number;

  constructor(private readonly sql: Sql, private readonly blobs: SweepableBlobs, private readonly opts: SweepOptions) {
    this.now = opts.now ?? Date.now;
    // Sends check uploads against the same window and clock (see the header).
    const policy = AttachmentBlobs.for(sql);
    policy.referenceWindowMs = opts.ttlMs;
    policy.now = this.now;
  }

  /** How old an upload must be before a run takes it. */
  get ageMs(): number {
    return this.opts.ttlMs + (this.opts.marginMs ?? sweepMarginMs(this.opts.ttlMs));
  }

  private scope(): { where: string; args: string[] } {
    const c = this.opts.conversationId;
    return c ? { where: "a.conv_id = ? AND ", args: [c] } : { where: "", args: [] };
  }

  /** When the oldest upload no message references becomes sweepable, or null if there is none
   *  (a Durable Object sets its alarm to it). */
  async nextDue(): Promise<number | null> {
    const s = this.scope();
    const row = await this.sql.first<{ t: number | null }>(`SELECT min(created_ts) AS t FROM attachments a WHERE ${s.where}NOT ${REFERENCED}`, s.args);
    return row?.t == null ? null : Number(row.t) + this.ageMs;
  }

  /** One sweep (runs never overlap); how many uploads and orphaned blobs it deleted. */
  run(): Promise<{ uploads: number; orphans: number }> {
    return (this.running ??= this.sweep().finally(() => (this.running = null)));
  }

  /** Resolves once a run in progress has ended. */
  async settled(): Promise<void> {
    await this.running?.catch(() => {});
  }

  private async sweep(): Promise<{ uploads: number; orphans: number }> {
    const cutoff = this.now() - this.ageMs;
    const s = this.scope();
    let uploads = 0;
    const rows = await this.sql.all<{ conv_id: string; id: string }>(
      `SELECT conv_id, id FROM attachments a WHERE ${s.where}created_ts < ? AND NOT ${REFERENCED} LIMIT ?`, [...s.args, cutoff, this.opts.batch ?? 1000]);
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
        if (PICTURE_FOLDERS.has(convId)) continue; // profile and group pictures, not uploads
        if (await this.sql.first("SELECT 1 AS x FROM attachments WHERE conv_id = ? AND id = ?", [convId, id])) continue;
        await this.blobs.delete(key);
        orphans++;
      }
    if (uploads || orphans) console.log(`[attachments] sweep deleted ${uploads} unreferenced uploads and ${orphans} orphaned blobs`);
    return { uploads, orphans };
  }
}
