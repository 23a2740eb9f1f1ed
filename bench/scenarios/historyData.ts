/**
 * Builds the history scenario's database through Nexus's public socket path (Nexus has no bulk
 * import route): one socket per conversation, `window` sends in flight each, the next send going out
 * as each durable ack comes back. Texts are 10 words from a 1,000-word vocabulary (each word is in
 * ~1% of messages), and every 10,000th message also carries the rare word "quartzrare".
 */
import { nowMs } from "../lib/payload.ts";
import { prng } from "../../scripts/lib/prng.mjs";

const SYL = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "be", "da", "fu", "go", "hi", "ja", "ze", "po", "qu", "wy", "xo", "ce"];
export const VOCAB: string[] = [];
for (const a of SYL) for (const b of SYL) for (const c of ["n", "r", "s", "l", "m"]) if (VOCAB.length < 1000) VOCAB.push(a + b + c + "o");
export const RARE = "quartzrare";

export { prng };

function text(rand: () => number, n: number): string {
  const words: string[] = [];
  for (let i = 0; i < 10; i++) words.push(VOCAB[Math.floor(rand() * VOCAB.length)]!);
  if (n % 10_000 === 0) words.push(RARE);
  return words.join(" ");
}

/** Sends `count` messages into conversation `conv` over one socket; resolves when all are acked. */
export async function fillConversation(
  base: string,
  ticket: string,
  conv: string,
  count: number,
  window: number,
  seed: number,
  onAck: () => void,
): Promise<void> {
  const rand = prng(seed);
  const ws = new WebSocket(`${base.replace(/^http/, "ws")}/v1/ws/conversations/${conv}?ticket=${encodeURIComponent(ticket)}`);
  await new Promise<void>((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    // `base`, as every client should send it (docs/protocol.md, idempotency): without it, each send
    // past the actor's in-memory clientId window costs a walk of the stored log.
    let seen = 0;
    const sendOne = () => {
      const n = sent++;
      ws.send(JSON.stringify({ t: "send", clientId: `fill_${seed}_${n}`, base: seen, text: text(rand, n) }));
    };
    type Ev = { clientId?: string; seq: number };
    ws.onmessage = (ev) => {
      const f = JSON.parse(ev.data as string) as {
        t: string; e?: Ev; es?: Ev[]; conversation?: { lastSeq: number }; code?: string; message?: string;
      };
      const mine = (e?: Ev) => e?.clientId?.startsWith(`fill_${seed}_`) === true;
      if (f.t === "event") seen = Math.max(seen, f.e!.seq);
      else if (f.t === "events") seen = Math.max(seen, f.es![f.es!.length - 1]!.seq);
      if (f.t === "welcome") {
        seen = f.conversation!.lastSeq;
        for (let i = 0; i < Math.min(window, count); i++) sendOne();
      }
      // Our own events are the acks (an `ack` frame comes only for a resend, which this never makes).
      else if (f.t === "event" || f.t === "events" || f.t === "ack") {
        const n = f.t === "ack" ? 1 : f.t === "event" ? Number(mine(f.e)) : f.es!.filter(mine).length;
        for (let i = 0; i < n; i++) {
          acked++;
          onAck();
          if (acked === count) resolve();
          else if (sent < count) sendOne();
        }
      } else if (f.t === "error") reject(new Error(`fill ${conv}: ${f.code} ${f.message}`));
    };
    ws.onclose = (ev) => reject(new Error(`fill ${conv}: socket closed ${ev.code} after ${acked} acks`));
  });
  ws.onclose = null;
  ws.close();
}

/** Times `fn` up to `n` times in a row, stopping once `budgetMs` has passed; latencies in ms. */
export async function timeSequential(n: number, budgetMs: number, fn: (i: number) => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  const deadline = nowMs() + budgetMs;
  for (let i = 0; i < n && nowMs() < deadline; i++) {
    const t0 = nowMs();
    await fn(i);
    out.push(nowMs() - t0);
  }
  return out;
}
