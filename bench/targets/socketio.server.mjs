/**
 * One instance of the seeds' design: Node.js + Socket.IO 4 + @socket.io/redis-adapter. Several of
 * these share one redis-server; a message emitted to a room on one instance reaches that room's
 * sockets on every instance through Redis pub/sub. Auth is a token checked in the handshake
 * middleware; a socket joins its group's room and every "m" it sends is emitted to the whole room
 * (sender included). No persistence.
 * Env: PORT, REDIS_PORT, BENCH_SECRET. Plain .mjs because Node 20 does not run TypeScript.
 */
import { createServer } from "node:http";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import { jwtVerify } from "jose";

const key = new TextEncoder().encode(process.env.BENCH_SECRET ?? "");
const pub = new Redis({ host: "127.0.0.1", port: Number(process.env.REDIS_PORT) });
const sub = pub.duplicate();

const http = createServer((req, res) => {
  if (req.url === "/health") {
    res.writeHead(pub.status === "ready" && sub.status === "ready" ? 200 : 503).end('{"ok":true}');
    return;
  }
  res.writeHead(404).end();
});
const io = new Server(http, { adapter: createAdapter(pub, sub), transports: ["websocket"], serveClient: false });

io.use(async (socket, next) => {
  try {
    const { payload } = await jwtVerify(String(socket.handshake.auth.token ?? ""), key);
    socket.data.user = payload.sub;
    socket.data.room = `g${socket.handshake.auth.group}`;
    next();
  } catch {
    next(new Error("unauthorized"));
  }
});

io.on("connection", (socket) => {
  socket.join(socket.data.room);
  socket.on("m", (payload) => {
    io.to(socket.data.room).emit("m", payload);
  });
});

http.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => {
  io.close();
  pub.disconnect();
  sub.disconnect();
  process.exit(0);
});
