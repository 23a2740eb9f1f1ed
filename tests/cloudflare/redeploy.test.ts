/**
 * A deploy under traffic. Cloudflare replaces a Worker by closing every socket; here workerd is
 * killed mid-traffic (Miniflare dispose = SIGKILL) and a second build of the Worker starts on the
 * same port and the same Durable Object storage. Clients do what the web client does: reconnect
 * with back-off, resume with `after`/`epoch`, resend what was not acknowledged (same clientId).
 * Claim: every acknowledged message is stored once and delivered to every member exactly once, in
 * seq order, across the deploy.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Nexus, newClientId, type Session, type TestSocket } from "../support/client.ts";
import { LimitEnv } from "../conformance/target.ts";
import { buildWithConfig, run, ROOT, type Built, type Running } from "./harness.ts";
import { TEST_JWT_SECRET } from "./worker.ts";

const persist = mkdtempSync(join(tmpdir(), "nexus-cf-redeploy-"));
const builds: Built[] = [];
let current: Running | undefined;

afterAll(async () => {
  await current?.stop();
  builds.forEach((b) => b.cleanup());
  rmSync(persist, { recursive: true, force: true });
}, 30_000);

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

function start(built: Built, port: number): Promise<Running> {
  return run(built, {
    port,
    durableObjects: Object.fromEntries(
      Object.entries({ CONVERSATION: "ConversationDO", INBOX: "InboxDO", DIRECTORY: "DirectoryDO", RATE_LIMIT: "RateLimitDO" }).map(([b, className]) => [b, { className, useSQLite: true }]),
    ),
    r2Buckets: { ATTACHMENTS: "nexus-attachments" },
    bindings: {
      JWT_SECRET: TEST_JWT_SECRET,
      NEXUS_DIRECTORY_SHARDS: "4",
      AUTH_RATE_LIMIT_PER_MINUTE: "100000",
      RATE_LIMIT_PER_MINUTE: "100000",
      [LimitEnv.sendsPerSecond]: "10000",
    },
    durableObjectsPersist: join(persist, "do"),
    r2Persist: join(persist, "r2"),
  });
}

/** Join, retrying while the Worker is away (ticket or upgrade refused, connection refused). */
async function joinRetrying(s: Session, id: string, resume: { after?: number; epoch?: string }): Promise<{ sock: TestSocket; welcome: any }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await s.join(id, resume);
    } catch (e) {
      if (attempt > 150) throw e;
      await Bun.sleep(Math.min(50 * 2 ** attempt, 200));
    }
  }
}

/** A member reading the conversation: keeps every message seq it was shown, resumes after the last. */
class Reader {
  readonly messageSeqs: number[] = [];
  readonly resumes: boolean[] = [];
  private last = 0;
  private epoch: string | undefined;
  private stopped = false;
  readonly done: Promise<void>;

  constructor(private readonly s: Session, private readonly id: string) {
    this.done = this.pump();
  }

  private see(e: any): void {
    if (e.kind === "message") this.messageSeqs.push(e.seq);
    this.last = Math.max(this.last, e.seq);
  }

  private async pump(): Promise<void> {
    while (!this.stopped) {
      const { sock, welcome } = await joinRetrying(this.s, this.id, this.last ? { after: this.last, epoch: this.epoch } : {});
      if (this.last) this.resumes.push(welcome.recovered === true);
      this.epoch = welcome.conversation.epoch;
      if (this.last) for (const e of welcome.events) this.see(e);
      else this.last = welcome.conversation.lastSeq;
      while (!this.stopped && !sock.isClosed) {
        const f = await sock.next("event", 500).catch(() => null);
        if (f) this.see(f.e);
      }
      await sock.close().catch(() => {});
    }
  }

  async stopAt(seq: number): Promise<void> {
    for (let i = 0; i < 300 && this.last < seq; i++) await Bun.sleep(100);
    this.stopped = true;
    await this.done;
  }
}

test("a new build replaces the running Worker mid-traffic: every acked message delivered exactly once, in order", async () => {
  const port = await freePort();
  builds.push(await buildWithConfig(join(ROOT, "wrangler.toml")), await buildWithConfig(join(ROOT, "wrangler.toml")));
  expect(builds[0]!.script).not.toBe(builds[1]!.script); // two separate builds
  current = await start(builds[0]!, port);
  const nx = new Nexus(current.url.origin);
  const [alice, bob, carol] = [await nx.register("rda"), await nx.register("rdb"), await nx.register("rdc")];
  const group = await alice.createGroup("deploy", [bob, carol]);
  const readers = [new Reader(bob, group.id), new Reader(carol, group.id)];

  const N = 120;
  const DEPLOY_AT = 40;
  const acked: { clientId: string; seq: number }[] = [];
  let deploy: Promise<void> | undefined;
  let { sock } = await joinRetrying(alice, group.id, {});
  for (let i = 0; i < N; i++) {
    if (i === DEPLOY_AT)
      deploy = (async () => {
        await current!.stop(); // SIGKILL: every socket drops, as in a deploy
        current = await start(builds[1]!, port);
      })();
    const clientId = newClientId("rd");
    for (;;) {
      if (sock.isClosed) sock = (await joinRetrying(alice, group.id, {})).sock;
      sock.send({ t: "send", clientId, text: `m${i}` });
      const reply = await sock.replyTo(clientId, 3000).catch(() => null);
      if (reply?.t === "ack") {
        acked.push({ clientId, seq: reply.seq });
        break;
      }
      if (reply?.t === "error") throw new Error(`send refused: ${JSON.stringify(reply)}`);
      // No answer: the socket died with the old Worker. Reconnect and resend the same clientId.
    }
  }
  await deploy;
  await sock.close();
  const lastSeq = Math.max(...acked.map((a) => a.seq));
  await Promise.all(readers.map((r) => r.stopAt(lastSeq)));

  // Every ack names its own seq, in send order.
  const seqs = acked.map((a) => a.seq);
  expect(new Set(seqs).size).toBe(N);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  // Stored once each.
  const history = (await alice.fullHistory(group.id)).filter((e: any) => e.kind === "message");
  expect(history.map((e: any) => e.clientId)).toEqual(acked.map((a) => a.clientId));
  for (const r of readers) {
    // The readers did lose their socket and resumed without a reset.
    expect(r.resumes.length).toBeGreaterThan(0);
    expect(r.resumes.every(Boolean)).toBe(true);
    // Exactly once, in order: what they were shown is exactly the acked seqs.
    expect(r.messageSeqs).toEqual(seqs);
  }
}, 180_000);
