/**
 * The test helpers themselves, against real processes: free ports, spawned servers stopped by PID
 * (scripts/lib/processes.mjs, shared with the cluster runner and the benchmark),
 * real redis-server and nats-server, and the socket clients against a small Bun WebSocket server.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { freePort, freePorts, isAlive as alive, killPid, portFree, runInForeground, spawnLogged, stopProcess, tempDir, waitForHttp } from "../../scripts/lib/processes.mjs";
import { startNats, startRedis } from "./servers.ts";
import { TestSocket } from "./socket.ts";
import { openRawWebSocket } from "./rawws.ts";

describe("ports", () => {
  test("freePorts hands out distinct bindable ports", async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
    const srv = Bun.serve({ port: ports[0], hostname: "127.0.0.1", fetch: () => new Response("ok") });
    expect(srv.port).toBe(ports[0]);
    expect(await portFree(ports[0]!)).toBe(false);
    srv.stop(true);
    expect(await portFree(ports[0]!)).toBe(true);
  });
});

describe("processes", () => {
  test("spawnLogged captures output, waitForHttp waits, stop() ends the process by PID", async () => {
    const port = await freePort();
    const script = `console.log("booting"); Bun.serve({ port: ${port}, hostname: "127.0.0.1", fetch: () => new Response("up") });`;
    const proc = spawnLogged(process.execPath, ["-e", script], { name: "tiny-http" });
    await waitForHttp(`http://127.0.0.1:${port}/`, { proc });
    expect(proc.log()).toContain("booting");
    expect(alive(proc.pid)).toBe(true);
    await proc.stop();
    expect(alive(proc.pid)).toBe(false);
    expect(proc.running()).toBe(false);
  });

  test("waitForHttp fails fast with the log when the process dies", async () => {
    const proc = spawnLogged(process.execPath, ["-e", `console.error("cannot start: boom"); process.exit(3)`], { name: "dies" });
    const port = await freePort();
    await expect(waitForHttp(`http://127.0.0.1:${port}/`, { proc, timeoutMs: 10_000 })).rejects.toThrow(/boom/);
  });

  test("a process ignoring SIGTERM is killed after the grace period", async () => {
    const proc = spawnLogged(process.execPath, ["-e", `process.on("SIGTERM", () => console.log("ignored")); setInterval(() => {}, 1000); console.log("ready")`], { name: "stubborn" });
    for (let i = 0; i < 100 && !proc.log().includes("ready"); i++) await Bun.sleep(50);
    const exit = await proc.stop(300);
    expect(exit.signal).toBe("SIGKILL");
    const other = spawnLogged("sleep", ["30"], { name: "sleeper" });
    await killPid(other.pid, 1000);
    expect((await other.exited).signal).toBe("SIGTERM");
  });

  test("a caller-named log is appended to, one marked section per start; echo copies the output to stderr", async () => {
    const logPath = join(tempDir("nexus-support-"), "x.log");
    const echoed: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => (echoed.push(String(chunk)), true)) as typeof write;
    try {
      for (const word of ["first", "second"]) {
        const proc = spawnLogged(process.execPath, ["-e", `console.log("${word}")`], { name: "twice", logPath, echo: "twice" });
        expect((await proc.exited).code).toBe(0);
      }
      for (let i = 0; i < 40 && echoed.length < 2; i++) await Bun.sleep(25);
    } finally {
      process.stderr.write = write;
    }
    expect(echoed.join("")).toContain("  [twice] first\n  [twice] second\n");
    const text = readFileSync(logPath, "utf8");
    expect(text.match(/^--- \S+ .* -e console\.log/gm)?.length).toBe(2);
    expect(text.indexOf("first")).toBeLessThan(text.indexOf("second"));
  });

  test("stopProcess stops a child that leads no process group (Bun.spawn) and says whether it went in time", async () => {
    const child = Bun.spawn(["sleep", "30"], { stdio: ["ignore", "ignore", "ignore"] });
    expect(await stopProcess(child.pid, child.exited, 2000)).toBe(true);
    expect(child.signalCode).toBe("SIGTERM");
    const stubborn = Bun.spawn([process.execPath, "-e", `process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)`], { stdout: "pipe" });
    await stubborn.stdout.getReader().read(); // its SIGTERM handler is in place
    expect(await stopProcess(stubborn.pid, stubborn.exited, 300)).toBe(false);
    expect(stubborn.signalCode).toBe("SIGKILL");
  });

  test("runInForeground reports the exit code as a shell would (128 + signal number when signalled)", async () => {
    expect(await runInForeground("t", process.execPath, ["-e", "process.exit(3)"])).toBe(3);
    expect(await runInForeground("t", process.execPath, ["-e", "process.kill(process.pid, 'SIGTERM'); setInterval(() => {}, 1000)"])).toBe(143);
    expect(await runInForeground("t", "/nonexistent/nexus-nothing", [])).toBe(1);
  });

  test("a command that cannot start throws at once", () => {
    expect(() => spawnLogged("/nonexistent/nexus-nothing", [])).toThrow(/could not start/);
  });
});

describe("servers", () => {
  const stops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const s of stops) await s();
  });

  test("redis-server starts on a free port and answers PING", async () => {
    const redis = await startRedis();
    stops.push(redis.stop);
    const reply = await new Promise<string>((resolve, reject) => {
      const s = connect(redis.port, "127.0.0.1", () => s.write("PING\r\n"));
      s.once("data", (d) => {
        resolve(d.toString());
        s.destroy();
      });
      s.once("error", reject);
    });
    expect(reply).toBe("+PONG\r\n");
    await redis.stop();
    expect(redis.proc.running()).toBe(false);
  });

  test("nats-server with JetStream starts and reports itself healthy", async () => {
    const nats = await startNats({ jetstream: true });
    stops.push(nats.stop);
    const varz: any = await (await fetch(`http://127.0.0.1:${nats.monitorPort}/varz`)).json();
    expect(varz.port).toBe(nats.port);
    expect(varz.jetstream?.config).toBeDefined();
    await nats.stop();
    expect(nats.proc.running()).toBe(false);
  });
});

describe("socket clients", () => {
  const srv = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req, server) {
      const path = new URL(req.url).pathname;
      if (path === "/deny") return new Response("no", { status: 403 });
      if (path === "/flood") return server.upgrade(req, { data: { flood: true } } as any) ? undefined : new Response("x");
      return server.upgrade(req, { data: { flood: false } } as any) ? undefined : new Response("x");
    },
    websocket: {
      open(ws) {
        const flood = (ws.data as any).flood as boolean;
        if (!flood) ws.send(JSON.stringify({ t: "pong", ts: 1 }));
        else for (let i = 0; i < 2000; i++) ws.send(JSON.stringify({ t: "pong", ts: i, pad: "p".repeat(2000) }));
      },
      message(ws, msg) {
        const f = JSON.parse(String(msg));
        if (f.t === "close") ws.close(4003, "bye");
        else ws.send(JSON.stringify({ t: "ack", clientId: f.clientId, seq: f.n, ts: 0 }));
      },
    },
  });
  afterAll(() => srv.stop(true));

  test("next() takes matching frames in order, interleaving freely; closed reports the code", async () => {
    const s = new TestSocket(`ws://127.0.0.1:${srv.port}/`);
    expect(await s.opened).toBe(true);
    expect((await s.next("pong")).ts).toBe(1);
    s.send({ clientId: "aaaaaaaa", n: 1 });
    s.send({ clientId: "bbbbbbbb", n: 2 });
    expect((await s.replyTo("bbbbbbbb")).seq).toBe(2);
    expect((await s.next("ack")).seq).toBe(1);
    expect(s.protocolErrors).toEqual([]);
    s.send({ t: "close" });
    expect((await s.closed).code).toBe(4003);
    await expect(s.next("ack", 1000)).rejects.toThrow(/closed/);
  });

  test("a refused handshake reports its status", async () => {
    const s = new TestSocket(`ws://127.0.0.1:${srv.port}/deny`);
    const info = await s.closed;
    expect(info.opened).toBe(false);
    expect(info.rejectedStatus).toBe(403);
    const raw = await openRawWebSocket(`ws://127.0.0.1:${srv.port}/deny`);
    expect(raw.status).toBe(403);
    raw.destroy();
  });

  test("a raw paused reader stops reading until resumed, then decodes every frame", async () => {
    const raw = await openRawWebSocket(`ws://127.0.0.1:${srv.port}/flood`, { pauseAfterHandshake: true });
    expect(raw.status).toBe(101);
    const early = raw.bytes();
    expect(early).toBeLessThan(2000 * 2000);
    raw.resume();
    for (let i = 0; i < 400 && raw.texts.length < 2000; i++) await Bun.sleep(25);
    expect(raw.texts.length).toBe(2000);
    expect(JSON.parse(raw.texts[1999]).ts).toBe(1999);
    raw.destroy();
  });
});
