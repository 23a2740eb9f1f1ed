/**
 * What ConversationDO and InboxDO share: one actor per object, loaded before any event is handled
 * (blockConcurrencyWhile), and its client sockets held with the WebSocket Hibernation API, so an idle
 * object can be evicted from memory while its sockets stay open. On wake the actor is rebuilt from
 * storage and each socket re-attached (`restore`) from its serialized attachment, without a welcome.
 */
import { DurableObject } from "cloudflare:workers";
import { CloseCodes, NexusError } from "../../protocol/index.ts";
import type { Connection, Resume, SocketActor } from "../../actors/ports.ts";
import { closeCode, closeReason, DoConnection, type SocketAttachment } from "./doConnection.ts";
import { doIds } from "./doClock.ts";
import { limitsFrom, type DoEnv } from "./doEnv.ts";
import { ForwardHeaders } from "./doRpc.ts";
import { errorBody } from "../../edge/middleware/errors.ts";
import { socketKey, type UserSocketsRpc } from "./userSockets.ts";
import { inboxStub } from "./stubs.ts";

/** What an object hosts: an actor with sockets (actors/ports.ts) that loads itself on `ready`. */
export type HostedActor = SocketActor & { ready(): Promise<void> };

/** Where the client's view ended, as the Worker forwarded it (conversation sockets; inboxes ignore it). */
function resumeOf(req: Request): Resume {
  const after = req.headers.get(ForwardHeaders.after);
  const epoch = req.headers.get(ForwardHeaders.epoch);
  return { after: after === null ? undefined : Number(after), epoch: epoch ?? undefined };
}

/** Storage key remembering the object's name, for wakes where the runtime does not supply ctx.id.name. */
const NAME_KEY = "nexus:name";
const decoder = new TextDecoder();
const logError = (name: string) => (e: unknown) => console.error(`[${name}] socket handler failed`, e);

export abstract class ActorHost<A extends HostedActor> extends DurableObject<DoEnv> {
  private actorPromise: Promise<A> | null = null;
  private readonly conns = new Map<WebSocket, DoConnection>();
  /** Identifies this in-memory incarnation: it changes when the object wakes from hibernation. */
  private readonly incarnation = doIds.random();
  private restored = 0;
  /** The object's name (conversation id or user id), once known. */
  private name: string | null = null;
  /** Which kind of object this is, in the keys of the user's socket registry (./userSockets.ts). */
  protected abstract readonly socketKind: "conversation" | "inbox";

  constructor(ctx: DurableObjectState, env: DoEnv) {
    super(ctx, env);
    // Nothing (RPC, socket event) runs until the actor is loaded and its sockets re-attached.
    ctx.blockConcurrencyWhile(async () => {
      const name = ctx.id.name ?? (await ctx.storage.get<string>(NAME_KEY));
      if (name) await this.start(name);
    });
  }

  /** Build the actor for this object's name (its storage and deps); not yet loaded. */
  protected abstract createActor(name: string): Promise<A> | A;
  /** A refusal known before the socket is accepted (close code and reason), or null. The actor
   *  checks again in connectActor; this only keeps refused sockets out of the hibernation set. */
  protected refusal(_actor: A, _userId: string): { code: number; reason: string } | null {
    return null;
  }

  /** The loaded actor; RPC methods go through here (forwardToActor.ts). */
  protected actor(): Promise<A> {
    if (this.actorPromise) return this.actorPromise;
    const name = this.ctx.id.name;
    if (!name) return Promise.reject(new NexusError("internal", "durable object has no name (not addressed by idFromName)"));
    return this.start(name);
  }

  private start(name: string): Promise<A> {
    this.name = name;
    this.actorPromise ??= (async () => {
      const actor = await this.createActor(name);
      await actor.ready();
      for (const ws of this.ctx.getWebSockets()) {
        // A socket we closed (4008, a removed member) whose close handshake never completed (its
        // reader stalled) is still listed: it must not come back as a live one.
        if (ws.readyState !== WebSocket.OPEN) continue;
        const conn = DoConnection.fromSocket(ws, this.maxBacklog());
        if (!conn) {
          ws.close(CloseCodes.internal, "lost socket state");
          continue;
        }
        this.conns.set(ws, conn);
        actor.restore(conn);
        this.restored++;
      }
      return actor;
    })();
    // A failed load must not poison the object forever: the next call retries.
    this.actorPromise.catch(() => (this.actorPromise = null));
    return this.actorPromise;
  }

  /**
   * Sockets use the Hibernation API unless NEXUS_DO_HIBERNATION=0. Why a switch: measured in local
   * workerd (2026-04-26), the TCP connection of a hibernatable socket is not released after a close
   * handshake (server- or client-initiated) until the object is evicted, so clients that wait for
   * the TCP close (Bun's WebSocket) see `close` ~10 s late, or never while the object stays busy.
   * Plain accepted sockets close at once, at the price of keeping the object in memory.
   */
  private hibernation(): boolean {
    return (this.env as Record<string, unknown>).NEXUS_DO_HIBERNATION !== "0";
  }

  /** limits.maxSocketBufferBytes (a DoConnection closes a socket past twice it by itself). */
  private maxBacklog(): number {
    return (this.backlogLimit ??= limitsFrom(this.env).maxSocketBufferBytes);
  }
  private backlogLimit: number | undefined;

  /** Operational facts about this object (RPC; used by tests and available for diagnostics). */
  async hostInfo(): Promise<{ incarnation: string; sockets: number; restoredSockets: number }> {
    await this.actor();
    return { incarnation: this.incarnation, sockets: this.conns.size, restoredSockets: this.restored };
  }

  /** What this object stores (diagnostics and tests): its SQLite tables, the runtime's own left out,
   *  and its key-value keys as `kv:<key>`. An object that stores nothing is not kept by the runtime. */
  async storedItems(): Promise<string[]> {
    const rows = this.ctx.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'").toArray();
    const keys = [...(await this.ctx.storage.list()).keys()].map((k) => `kv:${k}`);
    return [...rows.map((r) => String(r.name)), ...keys];
  }

  /** A WebSocket upgrade forwarded by the Worker after it verified the socket ticket. */
  override async fetch(req: Request): Promise<Response> {
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("expected a WebSocket upgrade", { status: 426 });
    const userId = req.headers.get(ForwardHeaders.user);
    const name = this.ctx.id.name ?? req.headers.get(ForwardHeaders.target);
    if (!userId || !name) return new Response("missing forwarded identity", { status: 400 });
    const actor = await this.start(name);

    const refused = this.refusal(actor, userId);
    // limits.maxSocketsPerUser across the user's conversations and inbox: counted by the user's
    // InboxDO (./userSockets.ts), asked before a socket is accepted. Refused sockets are not counted.
    const max = limitsFrom(this.env).maxSocketsPerUser;
    const attachment: SocketAttachment = { connId: doIds.random(), userId, session: req.headers.get(ForwardHeaders.session) ?? undefined };
    if (!refused && !(await this.userSockets(userId).socketOpened(socketKey(this.socketKind, name, attachment.connId), max)))
      return Response.json(errorBody("rate_limited", `too many open sockets: at most ${max} per user; close one first`, { retryAfter: 5 }), { status: 429, headers: { "retry-after": "5" } });
    const { 0: client, 1: server } = new WebSocketPair();
    // Remembered for wakes without ctx.id.name, and only for accepted sockets: a refused one (an
    // unknown conversation) must not give the object storage.
    if (!refused && !this.ctx.id.name && !(await this.ctx.storage.get(NAME_KEY))) await this.ctx.storage.put(NAME_KEY, name);
    if (refused) {
      // Upgrade, then close with our code (browsers cannot read an HTTP status, only a close code).
      // A plain accept(), not the hibernation API: measured in workerd, a hibernatable socket that
      // the server closes keeps its TCP connection open after the close handshake; a plain one ends it.
      server.accept();
      server.close(refused.code, refused.reason);
      return new Response(null, { status: 101, webSocket: client });
    }
    if (this.hibernation()) {
      this.ctx.acceptWebSocket(server);
      server.serializeAttachment(attachment);
    } else {
      // The object stays in memory while the socket is open; the same handlers run.
      server.accept();
      server.addEventListener("message", (e) => void this.webSocketMessage(server, e.data as string | ArrayBuffer).catch(logError(name)));
      server.addEventListener("close", (e) => void this.webSocketClose(server, e.code, e.reason).catch(logError(name)));
      server.addEventListener("error", () => void this.webSocketError(server).catch(logError(name)));
    }
    const conn = new DoConnection(server, attachment, this.maxBacklog());
    this.conns.set(server, conn);
    try {
      // Frames sent now are queued and reach the client right after the 101.
      // The actor checks access and sends its first frame or closes the socket.
      await actor.connect(conn, resumeOf(req));
    } catch (e) {
      console.error(`[${name}] connect failed`, e);
      conn.close(CloseCodes.internal, "internal error");
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const actor = await this.actor();
    const conn = this.connOf(actor, ws);
    if (!conn) return;
    await actor.receive(conn, typeof message === "string" ? message : decoder.decode(message));
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    await this.drop(ws);
    try {
      // Complete the closing handshake (newer compatibility dates do it automatically; then this is a no-op).
      ws.close(closeCode(code), closeReason(reason));
    } catch {
      // already closed
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.drop(ws);
  }

  private async drop(ws: WebSocket): Promise<void> {
    const actor = await this.actor();
    const conn = this.conns.get(ws);
    this.conns.delete(ws);
    if (!conn) return;
    actor.disconnect(conn);
    if (this.name) await this.userSockets(conn.userId).socketClosed(socketKey(this.socketKind, this.name, conn.id))
      .catch((e) => console.error(`[${this.name}] socket not unregistered (the registry checks it at the cap)`, e));
  }

  /** Where this user's open sockets are counted: their InboxDO (which overrides this with its own). */
  protected userSockets(userId: string): UserSocketsRpc {
    return inboxStub(this.env, userId) as unknown as UserSocketsRpc;
  }

  /** Is the socket `connId` still open here (RPC: the user's socket registry asks at the cap)? */
  async hasSocket(connId: string): Promise<boolean> {
    for (const [ws, c] of this.conns) if (c.id === connId && ws.readyState === WebSocket.OPEN) return true;
    for (const ws of this.ctx.getWebSockets())
      if (ws.readyState === WebSocket.OPEN && DoConnection.fromSocket(ws, this.maxBacklog())?.id === connId) return true;
    return false;
  }

  /** The wrapper of a socket; one the map missed (should not happen) is rebuilt and restored. */
  private connOf(actor: A, ws: WebSocket): DoConnection | null {
    let conn = this.conns.get(ws);
    if (conn) return conn;
    conn = DoConnection.fromSocket(ws, this.maxBacklog()) ?? undefined;
    if (!conn) return null;
    this.conns.set(ws, conn);
    actor.restore(conn);
    return conn;
  }
}
