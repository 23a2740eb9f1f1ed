/**
 * The move cases of `npm run bench -- --regions` (#15): what members see while their conversation's
 * home moves, by an operator's command and by the placement policy (hosts/cluster/movePolicy.ts).
 * Two members in region c write at a person's pace through paced BusyWriters (they reconnect, resume
 * and resend by clientId, as the web client does) to a conversation created through region a. Each
 * ack's latency is from the first send of its clientId, so a message caught by the move counts the
 * whole wait. Afterwards the whole log is read back: every acknowledged message must be there once,
 * at the seq it was acked with, in each writer's send order.
 */
import { BusyWriter, type Ack } from "../tests/cluster/busyWriter.ts";
import { regionRows, type LocalCluster } from "../tests/cluster/harness.ts";
import type { Nexus, Session } from "../tests/support/client.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

export interface Faults {
  lost: number;
  duplicated: number;
  misordered: number;
}

export interface OperatorMoveResult extends Faults {
  acked: number;
  ackP50: number;
  ackP99: number;
  /** The move's own figure: how long the owner refused writes (homeMoves.ts `pausedMs`). */
  pausedMs: number;
  /** The longest time with no ack at all around the move, as the members saw it. */
  windowMs: number;
}

export interface AutomaticMoveResult extends Faults {
  /** From the first message to the old copy's rows being gone (the switch is done), or NaN. */
  movedAfterMs: number;
  before: { p50: number; p99: number; n: number };
  after: { p50: number; p99: number; n: number };
}

/** Two members of a group created through `create`, each logged in through `use`. */
async function pairIn(via: (region: string) => Nexus, create: string, use: string, tag: string): Promise<{ conv: string; members: Session[] }> {
  const a0 = await via(create).register(`${tag}a`);
  const b0 = await via(create).register(`${tag}b`);
  const conv = await a0.createGroup(`moves: ${tag}`, [b0]);
  const members = [await via(use).login(a0.username, a0.password), await via(use).login(b0.username, b0.password)];
  return { conv: conv.id, members };
}

/** Lost, duplicated and misordered acknowledged messages, from the whole log read back. */
async function check(reader: Session, conv: string, writers: BusyWriter[]): Promise<Faults> {
  const history = await reader.fullHistory(conv);
  const bySeq = new Map(history.map((e: any) => [e.seq as number, e]));
  const count = new Map<string, number>();
  for (const e of history) if (e.clientId) count.set(e.clientId, (count.get(e.clientId) ?? 0) + 1);
  let lost = 0, misordered = 0;
  for (const w of writers) {
    for (const a of w.acks) if ((bySeq.get(a.seq) as any)?.clientId !== a.clientId) lost++;
    const order = new Map(w.sent.map((s, i) => [s.clientId, i]));
    const mine = history.filter((e: any) => order.has(e.clientId)).map((e: any) => order.get(e.clientId)!);
    for (let i = 1; i < mine.length; i++) if (mine[i]! < mine[i - 1]!) misordered++;
  }
  const duplicated = [...count.values()].filter((n) => n > 1).length;
  return { lost, duplicated, misordered };
}

const latencies = (acks: Ack[]) => acks.map((a) => a.at - a.sentAt);

/** The longest stretch with no ack from any writer, between `from` and `to`. */
function longestSilence(writers: BusyWriter[], from: number, to: number): number {
  const times = writers.flatMap((w) => w.acks.map((a) => a.at)).filter((t) => t >= from && t <= to).sort((x, y) => x - y);
  let longest = 0;
  for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i]! - times[i - 1]!);
  return longest;
}

/** An operator moves the home a -> c halfway through `seconds` of traffic from members in c. */
export async function operatorMove(via: (region: string) => Nexus, admin: Session, seconds: number, paceMs: number): Promise<OperatorMoveResult> {
  const { conv, members } = await pairIn(via, "a", "c", "om");
  const writers = members.map((m, i) => new BusyWriter(m, conv, `om${i}`, 3000, paceMs).start());
  await sleep((seconds * 1000) / 2);
  const moveStart = Date.now();
  const move = await admin.must("POST", `/v1/admin/conversations/${conv}/home`, { region: "c" });
  await sleep((seconds * 1000) / 2);
  for (const w of writers) await w.stop();
  const acks = writers.flatMap((w) => w.acks);
  return {
    acked: acks.length,
    ackP50: pct(latencies(acks), 50),
    ackP99: pct(latencies(acks), 99),
    pausedMs: Number(move.pausedMs),
    windowMs: longestSilence(writers, moveStart - 1000, moveStart + (seconds * 1000) / 2),
    ...(await check(members[0]!, conv, writers)),
  };
}

/** Traffic only from c to a conversation homed in a, until the policy moves it (or `limitMs`),
 *  then `afterMs` more at the new home. */
export async function automaticMove(cl: LocalCluster, via: (region: string) => Nexus, paceMs: number, limitMs: number, afterMs: number): Promise<AutomaticMoveResult> {
  const { conv, members } = await pairIn(via, "a", "c", "am");
  const writers = members.map((m, i) => new BusyWriter(m, conv, `am${i}`, 3000, paceMs).start());
  const start = Date.now();
  let movedAt = NaN;
  while (Date.now() - start < limitMs) {
    await sleep(250);
    // Done when a's copy is a tombstone naming c and its rows are deleted (step 6 of a move).
    const tomb = await regionRows(cl, "a", "SELECT region FROM moved_conversations WHERE id = ?", [conv]);
    const left = await regionRows(cl, "a", "SELECT count(*) AS n FROM events WHERE conv_id = ?", [conv]);
    if (tomb[0]?.region === "c" && Number(left[0]!.n) === 0) {
      movedAt = Date.now();
      break;
    }
  }
  if (Number.isFinite(movedAt)) await sleep(afterMs);
  for (const w of writers) await w.stop();
  const acks = writers.flatMap((w) => w.acks);
  // "Before" is the first half of the wait (the policy's checks), "after" leaves the reconnection
  // out: sends that began 2 s after the switch.
  const beforeEnd = Number.isFinite(movedAt) ? start + (movedAt - start) / 2 : Infinity;
  const before = latencies(acks.filter((a) => a.at < beforeEnd));
  const after = latencies(acks.filter((a) => a.sentAt > movedAt + 2000));
  return {
    movedAfterMs: movedAt - start,
    before: { p50: pct(before, 50), p99: pct(before, 99), n: before.length },
    after: { p50: pct(after, 50), p99: pct(after, 99), n: after.length },
    ...(await check(members[0]!, conv, writers)),
  };
}
