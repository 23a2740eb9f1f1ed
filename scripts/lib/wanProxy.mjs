/**
 * A delaying TCP proxy: what netem would do, in user space (netem is not available here). Every
 * chunk, in each direction, is forwarded `delayMs` after it arrived, in order; a half-close (FIN) is
 * delayed the same way, so a request/response costs 2 x delayMs more and nothing overtakes anything.
 * One timer and one FIFO per direction. `npm run cluster -- --wan MS`, the cluster suites and the
 * bench put one in front of each cross-region link (NATS gateways, a far libSQL server).
 * Plain JavaScript (node:net), so Node runs it for npm run cluster and Bun for tests and bench.
 */
import { createServer, connect } from "node:net";

/** Forward `from` → `to` with a fixed delay, keeping order and delaying the end too. */
function delayedPipe(from, to, delayMs) {
  /** [dueAt, chunk | null (end)] in arrival order; dueAt only grows, so the head is always next. */
  const queue = [];
  let timer = null;
  const flush = () => {
    timer = null;
    const now = performance.now();
    while (queue.length > 0 && queue[0][0] <= now) {
      const [, chunk] = queue.shift();
      if (chunk === null) to.end();
      else if (!to.destroyed) to.write(chunk);
    }
    if (queue.length > 0) timer = setTimeout(flush, Math.max(0, queue[0][0] - performance.now()));
  };
  const push = (chunk) => {
    queue.push([performance.now() + delayMs, chunk]);
    if (!timer) timer = setTimeout(flush, delayMs);
  };
  from.on("data", (chunk) => push(chunk));
  from.on("end", () => push(null));
  return () => {
    if (timer) clearTimeout(timer);
    queue.length = 0;
  };
}

/**
 * Listen on `listenPort` (0 = any free port) on 127.0.0.1 and forward each connection to
 * `target` ({host, port}) with `delayMs` one way. Returns the port and a close().
 */
export function startWanProxy({ target, delayMs, listenPort = 0, host = "127.0.0.1" }) {
  const sockets = new Set();
  /** Paused: a partition (npm run chaos). Connections are cut, new ones are dropped on arrival. */
  let paused = false;
  // Half-open allowed: a FIN is forwarded (delayed) by delayedPipe, not answered at once by Node.
  const server = createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
    if (paused) return void client.destroy();
    const upstream = connect({ host: target.host ?? "127.0.0.1", port: target.port, noDelay: true, allowHalfOpen: true });
    sockets.add(client).add(upstream);
    const stops = [delayedPipe(client, upstream, delayMs), delayedPipe(upstream, client, delayMs)];
    const done = () => {
      for (const s of stops) s();
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", done).on("close", () => setTimeout(done, delayMs));
    upstream.on("error", done).on("close", () => setTimeout(done, delayMs));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenPort, host, () => {
      resolve({
        port: server.address().port,
        delayMs,
        pause: () => {
          paused = true;
          for (const s of sockets) s.destroy();
        },
        resume: () => {
          paused = false;
        },
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
