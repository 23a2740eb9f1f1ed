/**
 * Group commits to a libSQL server across a slow link (#15: "allow more than one group commit in
 * flight per node (ordered per conversation), so a commit that does cross a link costs one round
 * trip, not two"): `npm run bench -- --pipelined [--wan=40] [--seconds=10]`.
 *
 * One real sqld behind the delaying proxy (`--wan` ms one way), the cluster's Sql (remoteLibsql.ts)
 * with the cluster's commit spacing (COMMIT_INTERVAL_DEFAULTS.cluster), and two loads: one busy
 * conversation (a chain, 50 batches a second) and 20 conversations at 5 a second each. Each batch is
 * a message's two statements. Printed per load, for 1 and for `--in-flight` (16) transactions in flight: commit
 * latency p50 / p99 (submit to durable) beside the round trip, in ms and in round trips, and
 * transactions per second. Where a commit may not leave before the one in flight comes back, a batch
 * that arrives just after a commit left waits for it, then pays its own: up to two round trips.
 * Printed only; nothing here is a timed test (tests/cluster/pipelinedCommits.test.ts holds the rules).
 */
import { startSqld } from "../tests/support/servers.ts";
import { startWanProxy } from "../scripts/lib/wanProxy.mjs";
import { openRemoteLibsql } from "../hosts/cluster/storage/remoteLibsql.ts";
import { COMMIT_INTERVAL_DEFAULTS } from "../hosts/bun/config.ts";
import type { CommitChain } from "../actors/storage/sql.ts";
import { killChildrenOnSignals } from "../scripts/lib/processes.mjs";
import { pct } from "./regionMoves.ts";

const opt = (name: string, def: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? def);
const WAN_MS = opt("wan", 40);
const SECONDS = opt("seconds", 10);
const RTT = 2 * WAN_MS;
const IN_FLIGHT = opt("in-flight", 16);

interface Load {
  name: string;
  conversations: number;
  perSecond: number;
}
const LOADS: Load[] = [
  { name: "one busy conversation, 50/s", conversations: 1, perSecond: 50 },
  { name: "20 conversations, 5/s each", conversations: 20, perSecond: 5 },
];

async function run(url: string, load: Load, inFlight: number, table: string) {
  const sql = await openRemoteLibsql(url, { commitIntervalMs: COMMIT_INTERVAL_DEFAULTS.cluster, commitsInFlight: inFlight });
  await sql.migrate([`CREATE TABLE IF NOT EXISTS ${table} (conv INTEGER, seq INTEGER, body TEXT, PRIMARY KEY (conv, seq))`,
    `CREATE TABLE IF NOT EXISTS ${table}_heads (conv INTEGER PRIMARY KEY, seq INTEGER)`]);
  const latencies: number[] = [];
  const before = sql.stats.transactions;
  const end = performance.now() + SECONDS * 1000;
  let failed = 0;
  await Promise.all(Array.from({ length: load.conversations }, async (_, conv) => {
    const chain: CommitChain = { failed: false };
    const acks: Promise<void>[] = [];
    const gap = 1000 / load.perSecond;
    await Bun.sleep(Math.random() * gap); // conversations out of step, as people are
    for (let seq = 0; performance.now() < end; seq++) {
      const t0 = performance.now();
      acks.push(sql.batch([
        { sql: `INSERT INTO ${table} (conv, seq, body) VALUES (?, ?, ?)`, args: [conv, seq, "x".repeat(120)] },
        { sql: `INSERT INTO ${table}_heads (conv, seq) VALUES (?, ?) ON CONFLICT (conv) DO UPDATE SET seq = excluded.seq`, args: [conv, seq] },
      ], chain).then(() => void latencies.push(performance.now() - t0), () => void failed++));
      await Bun.sleep(gap);
    }
    await Promise.all(acks);
  }));
  const transactions = sql.stats.transactions - before;
  const most = sql.writes.mostAtOnce;
  await sql.close();
  return { latencies, transactions, failed, most };
}

async function main() {
  killChildrenOnSignals();
  const server = await startSqld();
  const proxy = await startWanProxy({ target: { port: server.port }, delayMs: WAN_MS });
  const url = `http://127.0.0.1:${proxy.port}`;
  const rows: string[] = [];
  const results: Record<string, { p50: number; p99: number }> = {};
  try {
    let n = 0;
    for (const load of LOADS) {
      for (const inFlight of [1, IN_FLIGHT]) {
        const r = await run(url, load, inFlight, `b${++n}`);
        const p50 = pct(r.latencies, 50), p99 = pct(r.latencies, 99);
        results[`${load.name}/${inFlight}`] = { p50, p99 };
        rows.push(`| ${load.name} | ${inFlight} | ${r.latencies.length} | ${p50.toFixed(1)} (${(p50 / RTT).toFixed(2)}) | ${p99.toFixed(1)} (${(p99 / RTT).toFixed(2)}) | ` +
          `${(r.transactions / SECONDS).toFixed(1)} | ${r.most} | ${r.failed} |`);
      }
    }
  } finally {
    await proxy.close();
    await server.stop();
  }
  console.log(`\nGroup commits across a ${WAN_MS} ms one-way link (round trip ${RTT} ms), commit spacing ${COMMIT_INTERVAL_DEFAULTS.cluster} ms, ${SECONDS} s per run`);
  console.log("| load | in flight | commits | latency p50 ms (round trips) | p99 ms (round trips) | transactions/s | most at once | failed |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(r);
  // #15's wording: a commit that crosses a link costs one round trip, not two. The typical commit
  // (p50) is judged: one round trip plus at most the commit spacing; p99 is printed beside it.
  for (const load of LOADS) {
    const one = results[`${load.name}/1`]!, many = results[`${load.name}/${IN_FLIGHT}`]!;
    const floor = RTT + COMMIT_INTERVAL_DEFAULTS.cluster;
    console.log(`- ${load.name}: p50 ${(one.p50 / RTT).toFixed(2)} -> ${(many.p50 / RTT).toFixed(2)} round trips, p99 ` +
      `${(one.p99 / RTT).toFixed(2)} -> ${(many.p99 / RTT).toFixed(2)} (1 -> ${IN_FLIGHT} in flight): "one round trip, not two" ` +
      `(p50 <= round trip + spacing, ${floor} ms) ${many.p50 <= floor ? "met" : "NOT met"}`);
  }
}

await main();
process.exit(0);
