/**
 * `npm run cluster` (infra/cluster/run.mjs) end to end: the runner starts two regions (a nats-server
 * and a redis-server and a sqld each, gateways between them, and a sqld for the accounts) and nodes
 * a1 and b1. A restart on the same folder keeps the accounts; a folder of the older layout keeps them
 * on region a's primary. A group created
 * through b1 lives in region b; a member connected to a1 gets a message sent through b1, across
 * the gateway, with the seq the sender was acked. A node killed with -9 is started again by the
 * runner, with backoff. SIGTERM stops the runner with exit 0 and takes every process it started
 * with it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { Nexus, newClientId } from "../support/client.ts";
import { freePort, isAlive as alive, portFree, spawnLogged, tempDir, waitForHttp, type Spawned } from "../../scripts/lib/processes.mjs";

const ROOT = resolve(import.meta.dir, "../..");

interface PidFile {
  runner: number;
  processes: { name: string; kind: string; pid: number; url?: string }[];
}

/** Two consecutive free ports: the runner gives its nodes --port, --port + 1. */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = await freePort();
    if (p < 65535 && (await portFree(p + 1))) return p;
  }
  throw new Error("no two consecutive free ports");
}

let runner: Spawned;
let data: string;
let a1: string, b1: string;
/** Signed up in the first test; a restart on the same folder must keep her. */
let carol: { username: string; password: string };

/** Starts the runner on `data` (regions a and b, a node each) and waits for both nodes. */
async function startRunner(): Promise<void> {
  const port = await freePortPair();
  a1 = `http://127.0.0.1:${port}`;
  b1 = `http://127.0.0.1:${port + 1}`;
  // --no-install: `npm test` has installed everything, and the suite must not rebuild the web client.
  runner = spawnLogged("node", ["infra/cluster/run.mjs", "--regions", "a:1,b:1", "--port", String(port), "--data", data, "--no-install"], {
    name: "cluster-runner",
    cwd: ROOT,
  });
  for (const url of [a1, b1]) await waitForHttp(`${url}/health`, { proc: runner, timeoutMs: 45_000 });
}

beforeAll(async () => {
  data = tempDir("nexus-runner-");
  await startRunner();
}, 60_000);

afterAll(async () => {
  // Only if a test failed half-way: stop the runner (it stops its children) …
  if (runner?.running()) await runner.stop(30_000);
  // … and never leave one of them behind.
  const file = join(data, "pids.json");
  if (existsSync(file)) for (const p of (JSON.parse(readFileSync(file, "utf8")) as PidFile).processes) if (alive(p.pid)) process.kill(-p.pid, "SIGKILL");
}, 40_000);

const pidOf = (name: string) => (JSON.parse(readFileSync(join(data, "pids.json"), "utf8")) as PidFile).processes.find((p) => p.name === name)?.pid;

describe("npm run cluster", () => {
  test("a node that dies (kill -9, twice) is started again by the runner with backoff, and serves again", async () => {
    for (const [n, wait] of [[1, 500], [2, 1000]] as const) {
      const old = pidOf("a1")!;
      expect(alive(old)).toBe(true);
      process.kill(-old, "SIGKILL");
      // pids.json names the new process once it runs (a guard against hanging, not a speed goal).
      const deadline = Date.now() + 30_000;
      let pid: number | undefined;
      while (!((pid = pidOf("a1")) && pid !== old && alive(pid))) {
        if (Date.now() > deadline) throw new Error(`a1 was not restarted; runner log:\n${runner.log()}`);
        await Bun.sleep(100);
      }
      await waitForHttp(`${a1}/health`, { timeoutMs: 30_000 });
      expect(runner.log(1_000_000)).toContain(`node a1 (pid ${old}) exited unexpectedly (code null, signal SIGKILL); restarting in ${wait} ms (restart ${n})`);
    }
    // It serves: an account made through it logs in through the other region's node.
    carol = await new Nexus(a1).register("rc");
    expect((await new Nexus(b1).login(carol.username, carol.password)).token).toBeTruthy();
    expect(runner.running()).toBe(true);
  }, 90_000);

  test("two regions: a message sent through b1 reaches a socket on a1 with its acked seq; SIGTERM stops every process", async () => {
    const pids = JSON.parse(readFileSync(join(data, "pids.json"), "utf8")) as PidFile;
    expect(pids.runner).toBe(runner.pid);
    expect(pids.processes.map((p) => p.name).sort()).toEqual(["a1", "b1", "nats-a", "nats-b", "redis-a", "redis-b", "sqld-a", "sqld-accounts", "sqld-b"]);
    for (const p of pids.processes) expect(alive(p.pid)).toBe(true);
    expect(pids.processes.find((p) => p.name === "a1")?.url).toBe(a1);

    const viaB = new Nexus(b1);
    const alice = await viaB.register("ra");
    const bob0 = await viaB.register("rb");
    const conv = await alice.createGroup("across regions", [bob0]);
    const viaA = new Nexus(a1);
    const bob = await viaA.login(bob0.username, bob0.password);
    try {
      const { sock: onA } = await bob.join(conv.id);
      const { sock: onB } = await alice.join(conv.id);
      const clientId = newClientId("run");
      onB.send({ t: "send", clientId, text: "from region b" });
      const ack = await onB.replyTo(clientId, 15_000);
      expect(ack.t).toBe("ack");
      const got = await onA.next((f) => f.t === "event" && f.e.kind === "message" && f.e.clientId === clientId, 15_000);
      expect(got.e.seq).toBe(ack.seq);
      expect(got.e.text).toBe("from region b");
    } finally {
      await Promise.all([viaA.closeAll(), viaB.closeAll()]);
    }

    const exit = await runner.stop(30_000);
    expect(exit).toEqual({ code: 0, signal: null });
    const left = pids.processes.filter((p) => alive(p.pid));
    expect(left).toEqual([]);
    expect(existsSync(join(data, "pids.json"))).toBe(false);
    // What persists for the next run.
    expect(existsSync(join(data, "sqld", "a", "data.sqld"))).toBe(true);
    expect(existsSync(join(data, "sqld", "b", "data.sqld"))).toBe(true);
    // The accounts on a server of their own (run.mjs: a replica pulls every page of its server).
    expect(existsSync(join(data, "sqld", "accounts", "data.sqld"))).toBe(true);
    expect(readFileSync(join(data, "jwt-secret"), "utf8").trim().length).toBeGreaterThanOrEqual(32);
  }, 60_000);

  test("a restart on the same folder keeps the accounts; a folder from before the accounts had a server of their own keeps them on region a's primary", async () => {
    const names = () => (JSON.parse(readFileSync(join(data, "pids.json"), "utf8")) as PidFile).processes.map((p) => p.name);
    // Kept: carol signed up through a1 in the first test; she logs in through b1 (a replica of the accounts' server).
    if (runner.running()) await runner.stop(30_000); // the test before stops it, unless it failed half-way
    await startRunner();
    expect(names()).toContain("sqld-accounts");
    expect((await new Nexus(b1).login(carol.username, carol.password)).token).toBeTruthy();
    const dave = await new Nexus(b1).register("rd");
    expect((await new Nexus(a1).login(dave.username, dave.password)).token).toBeTruthy();
    expect(await runner.stop(30_000)).toEqual({ code: 0, signal: null });
    // The older layout: region a's primary holds the accounts and there is no sqld/accounts/.
    rmSync(join(data, "sqld", "accounts"), { recursive: true });
    await startRunner();
    expect(names()).not.toContain("sqld-accounts");
    expect(runner.log(1_000_000)).toContain("holds the accounts (a data folder from before they had a server of their own): kept there");
    const erin = await new Nexus(a1).register("re");
    expect((await new Nexus(b1).login(erin.username, erin.password)).token).toBeTruthy();
    expect(await runner.stop(30_000)).toEqual({ code: 0, signal: null });
  }, 90_000);
});
