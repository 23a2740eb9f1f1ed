/**
 * One conversation per Durable Object (idFromName(conversationId)), its log in the object's own
 * SQLite. The ConversationApi is exposed as DO RPC methods that forward to the ConversationActor
 * (forwardToActor.ts, from the one method table in actors/api.ts);
 * sockets come in through `fetch` (see ActorHost). Errors thrown by the actor (NexusError) cross RPC
 * with their name, code and details (measured in workerd) and are re-thrown as NexusError by the
 * Worker's ActorsClient (hosts/cloudflare/actorsClient.ts).
 */
import { CloseCodes } from "../../protocol/index.ts";
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

export class ConversationDO extends ActorHost<ConversationActor> {
  protected async createActor(conversationId: string): Promise<ConversationActor> {
    const sql = new DoSql(this.ctx.storage);
    // A deleted message's attachment bytes leave R2 once the delete is committed (attachmentBlobs.ts).
    AttachmentBlobs.for(sql).blobs = new R2BlobStore((this.env as Env).ATTACHMENTS);
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
}

// ConversationApi over RPC: every method forwards to the actor (forwardToActor.ts).
export interface ConversationDO extends ConversationRpc {}
forwardToActor(ConversationDO, "conversation");
