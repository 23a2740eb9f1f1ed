/**
 * One conversation per Durable Object (idFromName(conversationId)), its log in the object's own
 * SQLite. The ConversationApi is exposed as DO RPC methods that forward to the ConversationActor;
 * sockets come in through `fetch` (see ActorHost). Errors thrown by the actor (NexusError) cross RPC
 * with their name, code and details (measured in workerd) and are re-thrown as NexusError by the
 * Worker's ActorsClient (hosts/cloudflare/actorsClient.ts).
 */
import { CloseCodes, type Attachment, type AttachmentRef, type ConversationEvent, type ConversationInfo, type Member, type Role } from "../../protocol/index.ts";
import type { CreateConversation, HistoryPage, SendInput } from "../../actors/api.ts";
import type { Caller, Connection } from "../../actors/ports.ts";
import { ConversationActor } from "../../actors/conversation/ConversationActor.ts";
import { SqlConversationStore } from "../../actors/storage/sqlConversationStore.ts";
import { DoSql } from "./doSql.ts";
import { ActorHost } from "./actorHost.ts";
import { doClock, doIds } from "./doClock.ts";
import { DoMesh } from "./doMesh.ts";
import { limitsFrom } from "./doEnv.ts";
import { ForwardHeaders, type ConversationRpc } from "./doRpc.ts";

export class ConversationDO extends ActorHost<ConversationActor> implements ConversationRpc {
  protected async createActor(conversationId: string): Promise<ConversationActor> {
    const sql = new DoSql(this.ctx.storage);
    return new ConversationActor(conversationId, {
      // Tables only once the conversation is created: a probed id leaves no object behind.
      store: await SqlConversationStore.open(sql, conversationId),
      clock: doClock,
      ids: doIds,
      mesh: new DoMesh(this.env, this.ctx, `conversation ${conversationId}`),
      limits: limitsFrom(this.env),
    });
  }

  protected connectActor(actor: ConversationActor, conn: Connection, req: Request): Promise<void> {
    const after = req.headers.get(ForwardHeaders.after);
    const epoch = req.headers.get(ForwardHeaders.epoch);
    return actor.connect(conn, { after: after === null ? undefined : Number(after), epoch: epoch ?? undefined });
  }

  protected override refusal(actor: ConversationActor, userId: string): { code: number; reason: string } | null {
    if (!actor.exists()) return { code: CloseCodes.notFound, reason: "no such conversation" };
    if (!actor.isMember(userId)) return { code: CloseCodes.forbidden, reason: "not a member of this conversation" };
    return null;
  }

  // ---- ConversationApi over RPC: each method forwards to the actor, which checks the caller.
  async create(caller: Caller, init: CreateConversation): Promise<ConversationInfo> {
    return (await this.actor()).create(caller, init);
  }
  async info(caller: Caller): Promise<ConversationInfo> {
    return (await this.actor()).info(caller);
  }
  async rename(caller: Caller, title: string): Promise<{ seq: number }> {
    return (await this.actor()).rename(caller, title);
  }
  async addMember(caller: Caller, member: Member): Promise<{ seq: number }> {
    return (await this.actor()).addMember(caller, member);
  }
  async removeMember(caller: Caller, userId: string): Promise<{ seq: number }> {
    return (await this.actor()).removeMember(caller, userId);
  }
  async setRole(caller: Caller, userId: string, role: Role): Promise<{ seq: number }> {
    return (await this.actor()).setRole(caller, userId, role);
  }
  async history(caller: Caller, before: number | undefined, limit: number): Promise<HistoryPage> {
    return (await this.actor()).history(caller, before, limit);
  }
  async send(caller: Caller, input: SendInput): Promise<{ seq: number; ts: number; duplicate: boolean }> {
    return (await this.actor()).send(caller, input);
  }
  async deleteMessage(caller: Caller, target: number, clientId: string): Promise<{ seq: number }> {
    return (await this.actor()).deleteMessage(caller, target, clientId);
  }
  async search(caller: Caller, q: string, limit: number): Promise<ConversationEvent[]> {
    return (await this.actor()).search(caller, q, limit);
  }
  async addAttachment(caller: Caller, ref: AttachmentRef): Promise<Attachment> {
    return (await this.actor()).addAttachment(caller, ref);
  }
  async attachment(caller: Caller, id: string): Promise<Attachment> {
    return (await this.actor()).attachment(caller, id);
  }
  async kick(caller: Caller, userId: string): Promise<void> {
    return (await this.actor()).kick(caller, userId);
  }
}
