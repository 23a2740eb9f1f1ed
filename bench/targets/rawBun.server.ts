/**
 * The ceiling: Bun.serve WebSocket pub/sub, one topic per group, no persistence, no parsing of the
 * message. A socket authenticates with an HS256 token at upgrade; every text frame it sends is
 * published to its group's topic (the sender included, as Nexus echoes to the sender too).
 * Env: PORT, BENCH_SECRET.
 */
import { jwtVerify } from "jose";

const key = new TextEncoder().encode(process.env.BENCH_SECRET ?? "");
type Data = { topic: string };

const server = Bun.serve<Data>({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT),
  async fetch(req, srv) {
    const url = new URL(req.url);
    if (url.pathname === "/health") return Response.json({ ok: true });
    try {
      await jwtVerify(url.searchParams.get("token") ?? "", key);
    } catch {
      return new Response("unauthorized", { status: 401 });
    }
    const topic = `g${url.searchParams.get("g")}`;
    if (srv.upgrade(req, { data: { topic } })) return undefined;
    return new Response("upgrade required", { status: 426 });
  },
  websocket: {
    open(ws) {
      ws.subscribe(ws.data.topic);
    },
    message(ws, msg) {
      server.publish(ws.data.topic, msg);
    },
    idleTimeout: 0,
  },
});

process.on("SIGTERM", () => {
  server.stop(true);
  process.exit(0);
});
