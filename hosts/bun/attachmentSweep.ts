/**
 * When a Bun process runs the attachment sweep (actors/storage/attachmentSweep.ts): every interval,
 * if its gate lets it. One node (`npm start`) has no gate: it holds every row. A cluster node's gate
 * is its region's sweep lease in Redis (hosts/cluster/sweepLease.ts), so one node per region sweeps
 * the region's rows per interval.
 */
import { AttachmentSweep, type SweepableBlobs, type SweepOptions } from "../../actors/storage/attachmentSweep.ts";
import type { Sql } from "../../actors/storage/sql.ts";

export interface SweepSchedule {
  intervalMs: number;
  /** Resolves true when this process should sweep now (a cluster's lease); absent: always. */
  gate?: () => Promise<boolean>;
}

export class PeriodicSweep {
  readonly sweep: AttachmentSweep;
  /** Runs this process made (a cluster's nodes of one region take turns by the lease). */
  runs = 0;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(sql: Sql, blobs: SweepableBlobs, opts: SweepOptions, private readonly schedule: SweepSchedule) {
    this.sweep = new AttachmentSweep(sql, blobs, opts);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick().catch((e) => console.error("[attachments] sweep failed", e)), this.schedule.intervalMs);
    this.timer.unref?.();
  }

  /** One scheduled turn: sweeps when the gate allows; whether it did. */
  async tick(): Promise<boolean> {
    if (this.schedule.gate && !(await this.schedule.gate())) return false;
    this.runs++;
    await this.sweep.run();
    return true;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sweep.settled();
  }
}
