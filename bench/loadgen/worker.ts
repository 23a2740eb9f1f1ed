/**
 * A load-generator process. It holds a share of the sockets (whole groups, so every delivery it
 * checks was sent by a sender in the same process and the latency is one clock minus itself), sends
 * at a fixed rate per sender, and checks every delivery for loss, duplication and order.
 * Driven by the coordinator over Bun IPC (see protocol.ts).
 */
import { Histogram } from "../lib/histogram.ts";
import { OrderTracker } from "../lib/order.ts";
import { decodePayload, encodePayload, nowMs } from "../lib/payload.ts";
import type { ClientConn, MemberSpec } from "../targets/types.ts";
import { clients } from "./clients.ts";
import type { FromWorker, RunStats, ToWorker } from "./protocol.ts";

interface Sock {
  spec: MemberSpec;
  conn: ClientConn | null;
  open: boolean;
  tracker: OrderTracker;
  /** Next counter this socket will send. */
  counter: number;
  /** Counter range [runFrom, counter) sent in the current run. */
  runFrom: number;
}

const reply = (m: FromWorker) => process.send!(m);
const socks: Sock[] = [];
const byId = new Map<number, Sock>();
const groups = new Map<number, Sock[]>();
let closing = false;

// Per-run state, reset by startRun().
let runId = -1;
let latency = new Histogram();
let ackLatency = new Histogram();
let st = freshCounters();
let sending = false;

function freshCounters() {
  return { delivered: 0, inWindow: 0, duplicates: 0, outOfOrder: 0, foreign: 0, acks: 0, closes: 0, errors: {} as Record<string, number> };
}

function onDeliver(receiver: Sock, text: string): void {
  const p = decodePayload(text);
  if (!p) {
    st.foreign++;
    return;
  }
  const verdict = receiver.tracker.see(p.s, p.n);
  if (verdict === "dup") {
    st.duplicates++;
    return;
  }
  if (verdict === "ooo") st.outOfOrder++;
  const sender = byId.get(p.s);
  if (sender && p.n >= sender.runFrom) {
    st.delivered++;
    if (sending) st.inWindow++;
    latency.record((nowMs() - p.t) * 1000);
  }
}

async function init(msg: Extract<ToWorker, { op: "init" }>): Promise<void> {
  const client = clients[msg.target];
  const t0 = performance.now();
  let failed = 0;
  let firstError: string | undefined;
  for (const spec of msg.specs) {
    const s: Sock = { spec, conn: null, open: false, tracker: new OrderTracker(), counter: 0, runFrom: 0 };
    socks.push(s);
    byId.set(spec.id, s);
    const list = groups.get(spec.g) ?? [];
    list.push(s);
    groups.set(spec.g, list);
  }
  let next = 0;
  const lane = async () => {
    while (next < socks.length) {
      const s = socks[next++]!;
      try {
        s.conn = await client.connect(s.spec, {
          deliver: (text) => onDeliver(s, text),
          ack: (ms) => {
            st.acks++;
            ackLatency.record(ms * 1000);
          },
          error: (code) => {
            st.errors[code] = (st.errors[code] ?? 0) + 1;
          },
          closed: () => {
            if (s.open && !closing) st.closes++;
            s.open = false;
          },
        });
        s.open = true;
      } catch (e) {
        failed++;
        firstError ??= String((e as Error).message ?? e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(msg.concurrency, socks.length) }, lane));
  reply({ op: "ready", connected: socks.length - failed, failed, firstError, connectMs: performance.now() - t0 });
}

async function run(msg: Extract<ToWorker, { op: "run" }>): Promise<void> {
  runId = msg.runId;
  latency = new Histogram();
  ackLatency = new Histogram();
  st = freshCounters();
  for (const s of socks) s.runFrom = s.counter;
  const all = socks.filter((s) => s.open);
  const senders = all.slice(0, Math.max(1, Math.round(all.length * (msg.senderFraction ?? 1))));
  const cpu0 = process.cpuUsage();
  const t0 = nowMs();
  let sentTotal = 0;
  let ptr = 0;
  let lastProgress = t0;
  sending = true;
  const perMs = (msg.ratePerSender * senders.length) / 1000;
  while (true) {
    const now = nowMs();
    const elapsed = now - t0;
    if (elapsed >= msg.durationMs) break;
    const due = Math.min(Math.floor(elapsed * perMs), sentTotal + 20_000);
    while (sentTotal < due) {
      const s = senders[ptr++ % senders.length]!;
      if (s.open) s.conn!.send(encodePayload(s.spec.id, s.counter), s.counter++);
      sentTotal++;
    }
    if (now - lastProgress >= 1000) {
      lastProgress = now;
      reply({ op: "progress", runId, sent: sentTotal, delivered: st.delivered });
    }
    await Bun.sleep(1);
  }
  sending = false;
  const windowMs = nowMs() - t0;
  const expected = () => {
    let e = 0;
    for (const list of groups.values()) {
      const openMembers = list.filter((s) => s.open).length;
      for (const s of list) e += (s.counter - s.runFrom) * openMembers;
    }
    return e;
  };
  const drainStart = nowMs();
  while (st.delivered < expected() && nowMs() - drainStart < msg.drainMs) await Bun.sleep(5);
  const drainMs = nowMs() - drainStart;
  let lost = 0;
  let sent = 0;
  for (const list of groups.values())
    for (const receiver of list) {
      sent += receiver.counter - receiver.runFrom;
      if (!receiver.open) continue;
      for (const sender of list) lost += receiver.tracker.missing(sender.spec.id, sender.runFrom, sender.counter);
    }
  const cpu = process.cpuUsage(cpu0);
  const stats: RunStats = {
    sent,
    expected: expected(),
    delivered: st.delivered,
    deliveredInWindow: st.inWindow,
    windowMs,
    lost,
    duplicates: st.duplicates,
    outOfOrder: st.outOfOrder,
    foreign: st.foreign,
    latency: latency.toJSON(),
    ackLatency: ackLatency.toJSON(),
    acks: st.acks,
    errors: st.errors,
    unexpectedCloses: st.closes,
    cpuMs: (cpu.user + cpu.system) / 1000,
    wallMs: nowMs() - t0,
    drainMs,
  };
  reply({ op: "result", runId, stats });
}

process.on("message", (msg: ToWorker) => {
  const go = async () => {
    if (msg.op === "init") await init(msg);
    else if (msg.op === "run") await run(msg);
    else if (msg.op === "count") reply({ op: "count", open: socks.filter((s) => s.open).length, rss: process.memoryUsage.rss() });
    else if (msg.op === "close") {
      closing = true;
      for (const s of socks) s.conn?.close();
      await Bun.sleep(200);
      process.exit(0);
    }
  };
  go().catch((e) => reply({ op: "fatal", message: String((e as Error)?.stack ?? e) }));
});
