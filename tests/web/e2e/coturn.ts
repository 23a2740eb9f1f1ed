/**
 * A real TURN relay for the call tests: coturn's `turnserver` (Debian package `coturn`, installed by
 * scripts/ensure.mjs) on a free loopback port with the TURN REST secret (`use-auth-secret`), the
 * same convention GET /v1/calls/ice signs its credentials with (edge/routes/calls.ts).
 */
import { freePort, spawnLogged, waitForTcp, type Spawned } from "../../../scripts/lib/processes.mjs";

export class Coturn {
  private constructor(readonly port: number, readonly secret: string, private readonly proc: Spawned) {}

  /** The TURN URL to give Nexus (TURN_URLS). */
  get url(): string {
    return `turn:127.0.0.1:${this.port}?transport=udp`;
  }

  static async start(): Promise<Coturn> {
    const port = await freePort();
    const secret = `turn-secret-${crypto.randomUUID()}`;
    const proc = spawnLogged("turnserver", [
      "-n", // no config file: everything is on this line
      "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", `--listening-port=${port}`,
      "--use-auth-secret", `--static-auth-secret=${secret}`, "--realm=nexus.test",
      // Both browsers are on this machine: their relayed peers are loopback addresses, which coturn
      // refuses by default.
      "--allow-loopback-peers",
      "--no-cli", "--no-tls", "--no-dtls", "--no-multicast-peers", "--fingerprint", "--log-file=stdout", "--simple-log",
    ], { name: `coturn-${port}` });
    // coturn listens on TCP and UDP alike on the port; TCP answers once it is ready.
    await waitForTcp(port, { host: "127.0.0.1", proc, timeoutMs: 15_000 });
    return new Coturn(port, secret, proc);
  }

  log(): string {
    return this.proc.log(6000);
  }

  async stop(): Promise<void> {
    await this.proc.stop();
  }
}
