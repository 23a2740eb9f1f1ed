/**
 * Free loopback ports. Suites run in parallel on one machine, so nothing uses a fixed port:
 * we ask the kernel for an ephemeral port, release it and hand it to the server we are about to start.
 * A port handed out here is remembered so that two callers in one process never get the same one.
 */
import { createServer } from "node:net";

const handedOut = new Set<number>();

/** One TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => {
        const addr = srv.address();
        const p = typeof addr === "object" && addr ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (port > 0 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("freePort: no free port after 50 attempts");
}

/** Several distinct free ports (e.g. client, cluster and gateway ports of one NATS node). */
export async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  return ports;
}
