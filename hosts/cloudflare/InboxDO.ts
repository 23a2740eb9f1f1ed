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
import { parseSocketKey, UserSocketRegistry, type UserSocketsRpc } from "./userSockets.ts";
import { conversationStub } from "./stubs.ts";

export class InboxDO extends ActorHost<InboxActor> {
  protected readonly socketKind = "inbox" as const;
  /** The user's open sockets on every object (./userSockets.ts). */
  private registry: UserSocketRegistry | null = null;

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

  protected override userSockets(): UserSocketsRpc {
    return (this.registry ??= new UserSocketRegistry(this.ctx.storage, async (key) => {
      const at = parseSocketKey(key);
      if (!at) return false;
      if (at.kind === "inbox") return this.hasSocket(at.connId);
      return (conversationStub(this.env, at.name) as unknown as { hasSocket(id: string): Promise<boolean> }).hasSocket(at.connId);
    }));
  }

  /** RPC from the user's conversation objects (./userSockets.ts). */
  socketOpened(key: string, max: number): Promise<boolean> {
    return this.userSockets().socketOpened(key, max);
  }

  socketClosed(key: string): Promise<void> {
    return this.userSockets().socketClosed(key);
  }
}

// InboxApi and the mesh over RPC: every method forwards to the actor (forwardToActor.ts).
export interface InboxDO extends InboxRpc {}
forwardToActor(InboxDO, "inbox");
