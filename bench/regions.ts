/**
 * Cross-region costs (#15), on one box: `npm run bench -- --regions [--wan=40] [--messages=300]
 * [--rate=10]`. Starts three regions a, b, c (one node, nats-server, redis-server and libSQL
 * server each; tests/cluster/harness.ts) with `--wan` ms of one-way delay injected on every
 * cross-region link, then for each case two members send `messages` in total at `rate` per second
 * over their sockets and it prints ack and delivery p50/p99 beside the injected round trip:
 * - home local: both members and the conversation's home in one region (a, b, then c);
 * - home remote: created through a, both members only ever in c (its home stays a: homes do not
 *   move yet);
 * - members split: the sender in b, the receiver in c, the home in b.
 * The ack is the sender's own event coming back (durable, with its seq); delivery is the receiver
 * getting it. Printed only: speed goals are judged here, never in timed tests.
 */
import { startCluster, type LocalCluster } from "../tests/cluster/harness.ts";
import { Nexus, newClientId, type Session } from "../tests/support/client.ts";
import { killChildrenOnSignals } from "../scripts/lib/processes.mjs";

const opt = (name: string, def: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? def);
const WAN_MS = opt("wan", 40);
const MESSAGES = opt("messages", 300);
const RATE = opt("rate", 10);

interface Timed {
  ack: number[];
  delivery: number[];
}

/** A conversation socket that stamps every frame's arrival. */
async function openTimed(s: Session, conv: string, onEvent: (clientId: string, author: string, at: number) => void): Promise<WebSocket> {
  const q = new URLSearchParams({ ticket: await s.ticket() });
  const ws = new WebSocket(`${s.nexus.baseUrl.replace(/^http/, "ws")}/v1/ws/conversations/${conv}?${q}`);
  await new Promise<void>((resolve, reject) => {
    ws.onmessage = (m) => {
      const at = performance.now();
      const f = JSON.parse(String(m.data));
      if (f.t === "welcome") resolve();
      const events = f.t === "event" ? [f.e] : f.t === "events" ? f.es : [];
      for (const e of events) if (e.clientId) onEvent(e.clientId, e.author, at);
    };
    ws.onerror = () => reject(new Error("socket failed"));
  });
  return ws;
}

async function measure(sender: Session, receiver: Session, conv: string): Promise<Timed> {
  const sentAt = new Map<string, number>();
  const out: Timed = { ack: [], delivery: [] };
  let done = 0;
  let finish: () => void;
  const all = new Promise<void>((r) => (finish = r));
  const mine = (at: number, clientId: string, into: number[]) => {
    const t0 = sentAt.get(clientId);
    if (t0 !== undefined) into.push(at - t0);
  };
  const a = await openTimed(sender, conv, (id, author, at) => {
    if (author === sender.id) mine(at, id, out.ack);
  });
  const b = await openTimed(receiver, conv, (id, author, at) => {
    if (author !== sender.id) return;
    mine(at, id, out.delivery);
    if (++done === MESSAGES) finish();
  });
  for (let i = 0; i < MESSAGES; i++) {
    const clientId = newClientId("rg");
    sentAt.set(clientId, performance.now());
    a.send(JSON.stringify({ t: "send", clientId, text: `cross-region ${i}` }));
    await Bun.sleep(1000 / RATE);
  }
  await Promise.race([all, Bun.sleep(30_000)]);
  a.close();
  b.close();
  return out;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

killChildrenOnSignals();
const cl: LocalCluster = await startCluster([{ id: "a1", region: "a" }, { id: "b1", region: "b" }, { id: "c1", region: "c" }],
  { NEXUS_SENDS_PER_SECOND: "1000", AUTH_RATE_LIMIT_PER_MINUTE: "100000", RATE_LIMIT_PER_MINUTE: "100000" }, { wanMs: WAN_MS });
const via = (region: string) => new Nexus(cl.nodes[`${region}1`]!.url);
const rows: string[][] = [];
try {
  const cases: Array<{ name: string; create: string; sender: string; receiver: string }> = [
    { name: "home local: a (accounts' region)", create: "a", sender: "a", receiver: "a" },
    { name: "home local: b", create: "b", sender: "b", receiver: "b" },
    { name: "home local: c", create: "c", sender: "c", receiver: "c" },
    { name: "home remote: created in a, members in c", create: "a", sender: "c", receiver: "c" },
    { name: "members split: sender b, receiver c, home b", create: "b", sender: "b", receiver: "c" },
  ];
  for (const c of cases) {
    const creator = await via(c.create).register("rgc");
    const s0 = await via(c.create).register("rgs");
    const r0 = await via(c.create).register("rgr");
    const conv = await creator.createGroup(c.name, [s0, r0]);
    const sender = await via(c.sender).login(s0.username, s0.password);
    const receiver = await via(c.receiver).login(r0.username, r0.password);
    const t = await measure(sender, receiver, conv.id);
    rows.push([c.name, `${t.ack.length}/${MESSAGES}`, pct(t.ack, 50).toFixed(1), pct(t.ack, 99).toFixed(1), pct(t.delivery, 50).toFixed(1), pct(t.delivery, 99).toFixed(1)]);
    console.error(`[regions] ${c.name}: ack p50 ${rows.at(-1)![2]} / p99 ${rows.at(-1)![3]} ms`);
  }
} finally {
  await cl.stop();
}
console.log(`\nCross-region costs: 3 regions, ${WAN_MS} ms one way injected (round trip ${2 * WAN_MS} ms), ${MESSAGES} messages at ${RATE}/s per case\n`);
console.log("| case | acked | ack p50 ms | ack p99 ms | delivery p50 ms | delivery p99 ms |\n|---|---|---|---|---|---|");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
process.exit(0);
