/**
 * limits.maxSocketsPerUser on a Bun process (one node, or one cluster node: the cap is per node).
 * The count is taken where every socket of this process is born and dies, whatever route or host
 * part asks for it: the server's `upgrade` (as the edge sees the server) and the `close` handler.
 * Over the cap the upgrade throws 429 `rate_limited` and no socket is opened.
 */
import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import { SocketCap } from "../../edge/limit/socketCap.ts";

/** What every socket's data carries (SocketData, ClusterSocketData). */
type Owned = { userId: string };

export class CappedSockets {
  readonly cap: SocketCap;
  /** Data of sockets counted: released once, on close (an upgrade that failed is released at once). */
  private readonly counted = new WeakSet<object>();
  constructor(maxPerUser: number) {
    this.cap = new SocketCap(maxPerUser);
  }

  /** The server as the edge app sees it (Hono env): upgrades are counted and capped. */
  guard(server: Server<unknown>): Pick<Server<unknown>, "upgrade" | "requestIP"> {
    return {
      upgrade: ((req: Request, opts?: { data?: Owned; headers?: HeadersInit }) => {
        const data = opts?.data;
        if (!data?.userId) return server.upgrade(req, opts as never);
        this.cap.acquire(data.userId);
        this.counted.add(data);
        const ok = server.upgrade(req, opts as never);
        if (!ok) this.release(data);
        return ok;
      }) as Server<unknown>["upgrade"],
      requestIP: (req: Request) => server.requestIP(req),
    };
  }

  handler<D extends Owned>(inner: WebSocketHandler<D>): WebSocketHandler<D> {
    return {
      ...inner,
      close: (ws: ServerWebSocket<D>, code: number, reason: string) => {
        this.release(ws.data);
        return inner.close?.(ws, code, reason);
      },
    };
  }

  private release(data: Owned): void {
    if (this.counted.delete(data)) this.cap.release(data.userId);
  }
}
