/**
 * One user's inbox per Durable Object (idFromName(userId)): conversation list, presence, rings.
 * Conversations reach it over RPC (apply, ring, presenceChanged) through DoMesh; the Worker asks it
 * for `list` and `presence`; the user's inbox sockets come in through `fetch` (see ActorHost).
 */
import { CloseCodes } from "../../protocol/index.ts";
import { InboxActor } from "../../actors/inbox/InboxActor.ts";
import { SqlInboxStore } from "../../actors/storage/sqlInboxStore.ts";
import { DoSql } from "./doSql.ts";
import { ActorHost } from "./actorHost.ts";
import { doClock } from "./doClock.ts";
import { DoMesh } from "./doMesh.ts";
import { limitsFrom, pushSenderFrom } from "./doEnv.ts";
import type { InboxRpc } from "./doRpc.ts";
import { forwardToActor } from "./forwardToActor.ts";

export class InboxDO extends ActorHost<InboxActor> {
  protected async createActor(userId: string): Promise<InboxActor> {
    const sql = new DoSql(this.ctx.storage);
    await SqlInboxStore.migrate(sql);
    return new InboxActor(userId, {
      store: new SqlInboxStore(sql, userId),
      clock: doClock,
      mesh: new DoMesh(this.env, this.ctx, `inbox ${userId}`),
      maxSocketBufferBytes: limitsFrom(this.env).maxSocketBufferBytes,
      presencePerSecond: limitsFrom(this.env).presencePerSecond,
      push: pushSenderFrom(this.env),
    });
  }

  protected override refusal(actor: InboxActor, userId: string): { code: number; reason: string } | null {
    return userId === actor.userId ? null : { code: CloseCodes.forbidden, reason: "not your inbox" };
  }
}

// InboxApi and the mesh over RPC: every method forwards to the actor (forwardToActor.ts).
export interface InboxDO extends InboxRpc {}
forwardToActor(InboxDO, "inbox");
