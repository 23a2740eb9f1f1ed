/**
 * One conversation per Durable Object (idFromName(conversationId)), its log in the object's own
 * SQLite. The ConversationApi is exposed as DO RPC methods that forward to the ConversationActor
 * (forwardToActor.ts, from the one method table in actors/api.ts);
 * sockets come in through `fetch` (see ActorHost). Errors thrown by the actor (NexusError) cross RPC
 * with their name, code and details (measured in workerd) and are re-thrown as NexusError by the
 * Worker's ActorsClient (hosts/cloudflare/actorsClient.ts).
 */
import { CloseCodes, type Attachment } from "../../protocol/index.ts";
import { ConversationActor } from "../../actors/conversation/ConversationActor.ts";
import { SqlConversationStore } from "../../actors/storage/sqlConversationStore.ts";
import { DoSql } from "./doSql.ts";
import { R2BlobStore } from "./r2BlobStore.ts";
import type { Env } from "./env.ts";
import { AttachmentBlobs } from "../../actors/storage/attachmentBlobs.ts";
import { ActorHost } from "./actorHost.ts";
import { doClock, doIds } from "./doClock.ts";
import { DoMesh } from "./doMesh.ts";
import { limitsFrom } from "./doEnv.ts";
import type { ConversationRpc } from "./doRpc.ts";
import { forwardToActor } from "./forwardToActor.ts";
import { AttachmentSweep } from "../../actors/storage/attachmentSweep.ts";
import { loadConfig } from "../../edge/config.ts";
import { stringVars } from "./doEnv.ts";

export class ConversationDO extends ActorHost<ConversationActor> {
  protected readonly socketKind = "conversation" as const;
  /** This conversation's attachment sweep (actors/storage/attachmentSweep.ts), run by the alarm. */
  private sweep: AttachmentSweep | null = null;

  protected async createActor(conversationId: string): Promise<ConversationActor> {
    const sql = new DoSql(this.ctx.storage);
    const r2 = new R2BlobStore((this.env as Env).ATTACHMENTS);
    // A deleted message's attachment bytes leave R2 once the delete is committed (attachmentBlobs.ts).
    AttachmentBlobs.for(sql).blobs = r2;
    // Its own rows and its own R2 prefix only: every row of `<conversationId>/` lives in this object.
    // The sweep also sets the reference window sends check (ATTACHMENT_UNREFERENCED_TTL_SECONDS).
    this.sweep = new AttachmentSweep(sql, { delete: (key) => r2.delete(key), entries: () => r2.entries(`${conversationId}/`) },
      { ttlMs: loadConfig(stringVars(this.env)).attachmentTtlMs, conversationId });
    return new ConversationActor(conversationId, {
      // Tables only once the conversation is created: a probed id leaves no object behind.
      store: await SqlConversationStore.open(sql, conversationId),
      clock: doClock,
      ids: doIds,
      mesh: new DoMesh(this.env, this.ctx, `conversation ${conversationId}`),
      limits: limitsFrom(this.env),
    });
  }

  protected override refusal(actor: ConversationActor, userId: string): { code: number; reason: string } | null {
    if (!actor.exists()) return { code: CloseCodes.notFound, reason: "no such conversation" };
    if (!actor.isMember(userId)) return { code: CloseCodes.forbidden, reason: "not a member of this conversation" };
    return null;
  }

  /** A recorded upload may be swept from `createdAt` + the sweep's age on: the alarm is due by then. */
  private async uploaded(a: Attachment): Promise<void> {
    if (this.sweep) await this.sweepBy(a.createdAt + this.sweep.ageMs);
  }

  /** The alarm is due by `at` (kept if it is due earlier already). */
  private async sweepBy(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  /** Uploads no message took in time (and bytes without a row) go; then the alarm waits for the
   *  next upload that may become sweepable. A failed run throws: the runtime retries the alarm. */
  override async alarm(): Promise<void> {
    await this.actor();
    const sweep = this.sweep!;
    await sweep.run();
    const next = await sweep.nextDue();
    if (next !== null) await this.sweepBy(next);
  }
}

// ConversationApi over RPC: every method forwards to the actor (forwardToActor.ts); a recorded upload
// sets the alarm for when it may be swept.
export interface ConversationDO extends ConversationRpc {}
forwardToActor(ConversationDO, "conversation", {
  addAttachment: (host, a) => (host as unknown as { uploaded(a: Attachment): Promise<void> }).uploaded(a as Attachment),
});
