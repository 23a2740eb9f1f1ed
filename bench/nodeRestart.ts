/**
 * A cluster node's restart, measured: `bun bench/nodeRestart.ts [--rounds 5] [--kill 9|term]`.
 *
 * Regions a (the accounts' home: a1) and b (b1, b2), 40 ms one way between them, as
 * `npm run cluster -- --regions a:1,b:2 --wan 40`: b's nodes read accounts from a local replica of
 * a's server and history from an embedded replica of b's. A writer through b2 keeps a conversation
 * of b busy (the replica files have something to pull). Each round kills b1 (SIGKILL, or SIGTERM
 * with --kill term), starts it again with the same id and replica files, and takes, from the spawn:
 * its /health answering, a login through it, a message acked on a socket opened through it, and a
 * history page read through it (checked against the same page read through b2). Prints each round,
 * the node's own `[start] ready …` line (where its start went, hosts/bun/startPhases.ts) and p50/max.
 */
import { Nexus } from "../tests/support/client.ts";
import { BusyWriter } from "../tests/cluster/busyWriter.ts";
import { startCluster } from "../tests/cluster/harness.ts";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const rounds = Number(arg("rounds", "5"));
const killHow = arg("kill", "9");
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

const cl = await startCluster([{ id: "a1", region: "a" }, { id: "b1", region: "b" }, { id: "b2", region: "b" }],
  { NEXUS_SENDS_PER_SECOND: "10000", NEXUS_MOVE_CHECK_MS: "0" }, { wanMs: 40 });
const b1 = cl.nodes.b1!;
const b2 = cl.nodes.b2!;
type Round = { health: number; login: number; ticket: number; welcome: number; ack: number; history: number; ready: string };
const results: Round[] = [];
let wrong = 0;
try {
  await new Nexus(cl.nodes.a1!.url).register("rsadmin");
  const viaB2 = new Nexus(b2.url);
  const alice = await viaB2.register("rsa");
  const bob = await viaB2.register("rsb");
  const conv = await alice.createGroup("restart", [bob]);
  const writer = new BusyWriter(alice, conv.id, "via-b2").start();
  while (writer.acks.length < 200) await Bun.sleep(20);
  for (let round = 1; round <= rounds; round++) {
    if (killHow === "term") await b1.stop();
    else await b1.kill();
    await Bun.sleep(500); // peers notice; the writer goes on through b2
    const t0 = performance.now();
    const starting = b1.start();
    // /health at a finer grain than the harness's wait.
    for (;;) {
      const ok = await fetch(`${b1.url}/health`).then((r) => r.ok, () => false);
      if (ok) break;
      await Bun.sleep(10);
    }
    const health = performance.now() - t0;
    const session = await new Nexus(b1.url).login(bob.username, bob.password);
    const login = performance.now() - t0;
    await session.ticket();
    const ticketed = performance.now() - t0;
    const { sock } = await session.join(conv.id);
    const welcomed = performance.now() - t0;
    const ack = await sock.sendMessage(`after restart ${round}`);
    if (ack.t !== "ack") throw new Error(`round ${round}: ${JSON.stringify(ack)}`);
    const acked = performance.now() - t0;
    await sock.close();
    const page = await session.must("GET", `/v1/conversations/${conv.id}/messages?limit=50&before=${ack.seq}`);
    const history = performance.now() - t0;
    const same = await bob.must("GET", `/v1/conversations/${conv.id}/messages?limit=50&before=${ack.seq}`);
    if (JSON.stringify(page.events) !== JSON.stringify(same.events)) wrong++;
    await starting;
    const ready = (b1.proc.log(20_000).match(/\[start\] ready[^\n]*/g) ?? []).pop() ?? "(no ready line)";
    results.push({ health, login, ticket: ticketed, welcome: welcomed, ack: acked, history, ready });
    console.error(`[restart] round ${round}/${rounds}: /health ${health.toFixed(0)} ms, login ${login.toFixed(0)} ms, a ticket ${ticketed.toFixed(0)} ms, a socket's welcome ${welcomed.toFixed(0)} ms, message acked ${acked.toFixed(0)} ms, history page ${history.toFixed(0)} ms after the spawn; ${ready}`);
  }
  await writer.stop();
} finally {
  await cl.stop();
}
const stat = (k: "health" | "login" | "ack" | "history") => `${k} p50 ${pct(results.map((r) => r[k]), 50).toFixed(0)} / max ${Math.max(...results.map((r) => r[k])).toFixed(0)} ms`;
console.log(JSON.stringify({ rounds, kill: killHow, wrongPages: wrong, rows: results.map(({ ready, ...r }) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v)]))) }));
console.log(`restart of b1 (kill ${killHow}), from the spawn: ${["health", "login", "ack", "history"].map((k) => stat(k as never)).join("; ")}; history pages differing from b2's: ${wrong}`);
process.exit(wrong === 0 ? 0 : 1);
