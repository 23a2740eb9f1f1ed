/**
 * One user's inbox per Durable Object (idFromName(userId)): conversation list, presence, rings.
 * Conversations reach it over RPC (apply, ring, presenceChanged) through DoMesh; the Worker asks it
 * for `list` and `presence`; the user's inbox sockets come in through `fetch` (see ActorHost).
 */
import { CloseCodes, type ConversationSummary, type Presence } from "../../protocol/index.ts";
import type { Caller, Connection, InboxUpdate, RingNotice } from "../../actors/ports.ts";
import { InboxActor } from "../../actors/inbox/InboxActor.ts";
import { SqlInboxStore } from "../../actors/storage/sqlInboxStore.ts";
import { DoSql } from "./doSql.ts";
import { ActorHost } from "./actorHost.ts";
import { doClock } from "./doClock.ts";
import { DoMesh } from "./doMesh.ts";
import { limitsFrom } from "./doEnv.ts";
import type { InboxRpc } from "./doRpc.ts";

export class InboxDO extends ActorHost<InboxActor> implements InboxRpc {
  protected async createActor(userId: string): Promise<InboxActor> {
    const sql = new DoSql(this.ctx.storage);
    await SqlInboxStore.migrate(sql);
    return new InboxActor(userId, {
      store: new SqlInboxStore(sql, userId),
      clock: doClock,
      mesh: new DoMesh(this.env, this.ctx, `inbox ${userId}`),
      maxSocketBufferBytes: limitsFrom(this.env).maxSocketBufferBytes,
    });
  }

  protected connectActor(actor: InboxActor, conn: Connection): Promise<void> {
    return actor.connect(conn);
  }

  protected override refusal(actor: InboxActor, userId: string): { code: number; reason: string } | null {
    return userId === actor.userId ? null : { code: CloseCodes.forbidden, reason: "not your inbox" };
  }

  async list(caller: Caller): Promise<ConversationSummary[]> {
    return (await this.actor()).list(caller);
  }
  async presence(): Promise<Presence> {
    return (await this.actor()).presence();
  }
  async kick(caller: Caller): Promise<void> {
    return (await this.actor()).kick(caller);
  }
  async apply(update: InboxUpdate): Promise<void> {
    return (await this.actor()).apply(update);
  }
  async ring(notice: RingNotice): Promise<void> {
    (await this.actor()).ring(notice);
  }
  async presenceChanged(p: Presence): Promise<void> {
    (await this.actor()).presenceChanged(p);
  }
}
