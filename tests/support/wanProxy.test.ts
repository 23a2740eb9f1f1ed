/** The delaying proxy that stands in for a WAN link (scripts/lib/wanProxy.mjs). */
import { describe, expect, test } from "bun:test";
import { createServer, connect, type Socket } from "node:net";
import { startWanProxy } from "../../scripts/lib/wanProxy.mjs";

/** An echo server: every chunk back as it came; closes its side when the client does. */
async function echoServer() {
  const server = createServer((s) => {
    s.on("data", (d) => s.write(d));
    s.on("end", () => s.end());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { port: (server.address() as { port: number }).port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port, noDelay: true }, () => resolve(s));
    s.once("error", reject);
  });
}

describe("WAN delay proxy", () => {
  test("a round trip costs two one-way delays, and bytes arrive whole and in order", async () => {
    const echo = await echoServer();
    const proxy = await startWanProxy({ target: { port: echo.port }, delayMs: 40 });
    try {
      const s = await open(proxy.port);
      const got: Buffer[] = [];
      let resolveAll: () => void;
      const all = new Promise<void>((r) => (resolveAll = r));
      const want = 200 * 6;
      let n = 0;
      s.on("data", (d: Buffer) => {
        got.push(d);
        n += d.length;
        if (n >= want) resolveAll();
      });
      const t0 = performance.now();
      for (let i = 0; i < 200; i++) s.write(String(i % 1000).padStart(5, "0") + ",");
      await all;
      const rtt = performance.now() - t0;
      const text = Buffer.concat(got).toString();
      expect(text).toBe(Array.from({ length: 200 }, (_, i) => String(i % 1000).padStart(5, "0") + ",").join(""));
      // At least the injected 2 x 40 ms (an upper bound would time the machine, not the proxy).
      expect(rtt).toBeGreaterThanOrEqual(78);
      s.destroy();
    } finally {
      await proxy.close();
      await echo.close();
    }
  });

  test("a half-close is delayed too and the far side's answer still arrives", async () => {
    const echo = await echoServer();
    const proxy = await startWanProxy({ target: { port: echo.port }, delayMs: 20 });
    try {
      const s = await open(proxy.port);
      const chunks: Buffer[] = [];
      s.on("data", (d: Buffer) => chunks.push(d));
      const ended = new Promise<void>((r) => s.on("end", () => r()));
      s.end("last words");
      await ended;
      expect(Buffer.concat(chunks).toString()).toBe("last words");
    } finally {
      await proxy.close();
      await echo.close();
    }
  });
});
