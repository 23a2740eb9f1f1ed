/**
 * What a conversation tells its members' inboxes (inbox/InboxActor.ts). After commits, summaries go
 * out at most every COALESCE_MS per conversation: a busy group would otherwise send (members x
 * batches) summaries a second; the chat stream itself is not delayed. A membership change is
 * different: the member's inbox must have stored it before the change is confirmed (`sync`).
 */
import { NexusError } from "../../protocol/index.ts";
import type { ActorMesh, Clock, InboxUpdate } from "../ports.ts";
import type { State } from "./state.ts";
import { summaryFor, summaryMembers } from "./summary.ts";

const COALESCE_MS = 100;

export class InboxNotices {
  private cancel: (() => void) | null = null;

  constructor(
    private readonly id: string,
    private readonly mesh: ActorMesh,
    private readonly clock: Clock,
    private readonly state: () => State | null,
  ) {}

  /** Summaries are held for the next round. */
  get pending(): boolean {
    return this.cancel !== null;
  }

  /** After a commit: removed members' inboxes drop the conversation at once; the others hear soon. */
  committed(s: State, removed: string[]): void {
    for (const id of removed) this.mesh.notifyInbox(id, { summary: summaryFor(this.id, s, id, []), removed: true });
    this.cancel ??= this.clock.schedule(COALESCE_MS, () => {
      this.cancel = null;
      this.notifyAll();
    });
  }

  /** One member's summary now (their unread count changed). */
  notify(userId: string): void {
    const s = this.state();
    if (s) this.mesh.notifyInbox(userId, { summary: summaryFor(this.id, s, userId, summaryMembers(s)) });
  }

  /** `userId`'s committed message references these uploads: their inbox stops counting them as
   *  pending (inbox/pendingUploads.ts). With the member's summary, which the inbox applies anyway. */
  uploadsSent(userId: string, ids: string[]): void {
    const s = this.state();
    if (s) this.mesh.notifyInbox(userId, { summary: summaryFor(this.id, s, userId, summaryMembers(s)), sentUploads: ids });
  }

  /** A joined or left conversation, stored in that user's inbox before the change is confirmed. */
  syncMember(userId: string, removed: boolean): Promise<void> {
    const s = this.state()!;
    return this.sync(userId, { summary: summaryFor(this.id, s, userId, removed ? [] : summaryMembers(s)), removed });
  }

  /** Every member of a new conversation, the same way. */
  async syncAll(s: State): Promise<void> {
    const shown = summaryMembers(s);
    await Promise.all([...s.members.keys()].map((userId) => this.sync(userId, { summary: summaryFor(this.id, s, userId, shown) })));
  }

  /** Host shutdown: send what is held now. */
  flush(): void {
    if (!this.cancel) return;
    this.cancel();
    this.cancel = null;
    this.notifyAll();
  }

  dispose(): void {
    this.cancel?.();
    this.cancel = null;
  }

  private notifyAll(): void {
    const s = this.state();
    if (!s) return;
    const members = summaryMembers(s);
    for (const userId of s.members.keys()) this.mesh.notifyInbox(userId, { summary: summaryFor(this.id, s, userId, members) });
  }

  /** If the inbox cannot store it, the change is not confirmed (the caller retries). */
  private async sync(userId: string, update: InboxUpdate): Promise<void> {
    try {
      await this.mesh.syncInbox(userId, update);
    } catch (e) {
      console.error(`[conversation ${this.id}] inbox ${userId} not stored`, e);
      throw new NexusError("storage_unavailable", "the change is logged but the member's conversation list could not be stored yet");
    }
  }
}
