/**
 * sqld's CPU per group commit with the fence statements as they were and as they are now (issue
 * #15's fourth pass, bench/README.md): a throwaway sqld with the cluster's real schema (triggers
 * included), and transactions shaped like the cluster fan-out bench's (counted on its actor node:
 * per transaction ~2 conversations' commits, each a fence check and an events insert of 1-2 rows,
 * and ~1 inbox write, a claim and an inbox_rows upsert), sent one at a time on one hrana stream
 * (WriteStream, as a node's group commits go), through mergeInserts as remoteLibsql.ts sends them.
 *
 * - before: a fenceCheck per conversation, a claim as two statements (INSERT … DO NOTHING, UPDATE);
 * - after: mergeFenceChecks (one UPDATE for the transaction's checks), claimFence (one statement).
 * The two alternate in short rounds (ABBA…), so a busy box's noise falls on both alike; sqld's CPU
 * comes from /proc/<pid>/task/<tid>/schedstat, this process's from process.cpuUsage(). Needs Linux (/proc).
 *
 *   bun scripts/fenceStatementsBench.ts           # ROUNDS=20 TXNS=300 CONVS=2 INBOXES=1
 */
import { startBareSqld, threadCpuNs } from "./lib/bareSqld.ts";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { BunActorSystem } from "../hosts/bun/BunActorSystem.ts";
import { moveFenceSchema } from "../actors/storage/moveFence.ts";
import { claimFence, fenceCheck, fenceSchema } from "../actors/storage/ownerFence.ts";
import { MOVABLE } from "../actors/storage/movableKinds.ts";
import { openRemoteLibsql, toArgs } from "../hosts/cluster/storage/remoteLibsql.ts";
import { mergeFenceChecks } from "../hosts/cluster/storage/mergeFenceChecks.ts";
import { mergeInserts } from "../hosts/cluster/storage/mergeInserts.ts";
import { WriteStream } from "../hosts/cluster/storage/writeStream.ts";
import type { Statement } from "../actors/storage/sql.ts";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const rounds = env("ROUNDS", 20), txns = env("TXNS", 300), convsPerTxn = env("CONVS", 2), inboxesPerTxn = env("INBOXES", 1);
const CONVS = 20, USERS = 200;
const INBOXES = MOVABLE.inbox.fence;

const sqld = await startBareSqld("nexus-fencebench");
const { port, dir } = sqld;

const url = `http://127.0.0.1:${port}`;
const setup = await openRemoteLibsql(url);
await BunActorSystem.migrate(setup);
await setup.migrate(moveFenceSchema);
await setup.migrate(fenceSchema);
for (let c = 0; c < CONVS; c++) {
  await setup.run("INSERT INTO conversations (id, type, title, epoch, created_ts) VALUES (?, 'group', 't', 'e', 0)", [`c${c}`]);
  await setup.run("INSERT INTO conversation_fences (conv_id, token) VALUES (?, 1)", [`c${c}`]);
}
await setup.close();

const stream = new WriteStream(`ws://127.0.0.1:${port}`);
const seq = new Map<string, number>();
/** The inbox tokens as their writers know them (each claim moves one by one). */
const inboxToken = new Map<string, number>();
let conv = 0, user = 0;

function transaction(after: boolean): Statement[] {
  const out: Statement[] = [];
  for (let i = 0; i < convsPerTxn; i++) {
    const id = `c${conv++ % CONVS}`;
    const s = (seq.get(id) ?? 0) + 1;
    const rows = 1 + (s % 2);
    seq.set(id, s + rows - 1);
    out.push(fenceCheck(id, 1));
    out.push({
      sql: "INSERT INTO events (conv_id, seq, kind, ts, author, client_id, text) VALUES " + Array.from({ length: rows }, () => "(?, ?, 'message', ?, 'u', ?, ?)").join(", "),
      args: Array.from({ length: rows }, (_, r) => [id, s + r, Date.now(), `k${s + r}`, "hello there, a message of typical length"]).flat(),
    });
  }
  for (let i = 0; i < inboxesPerTxn; i++) {
    const id = `u${user++ % USERS}`;
    const from = inboxToken.get(id) ?? 0;
    inboxToken.set(id, from + 1);
    const claim = after ? claimFence(id, from, INBOXES) : [
      { sql: `INSERT INTO inbox_fences (user_id, token) VALUES (?, 0) ON CONFLICT (user_id) DO NOTHING`, args: [id] },
      { sql: `UPDATE inbox_fences SET ok = (token = ?), token = ? WHERE user_id = ?`, args: [from, from + 1, id] },
    ];
    out.push(...claim, {
      sql: `INSERT INTO inbox_rows (user_id, conv_id, summary, last_ts) VALUES (?, ?, ?, ?)
                      ON CONFLICT (user_id, conv_id) DO UPDATE SET summary = excluded.summary, last_ts = excluded.last_ts`,
      args: [id, "c1", JSON.stringify({ id: "c1", lastTs: Date.now(), unread: 3, title: "t" }), Date.now()],
    });
  }
  const merged = mergeInserts(after ? mergeFenceChecks(out) : out);
  return merged;
}

const cpuNs = () => threadCpuNs(sqld.pid);

const results: Record<string, { sqldUs: number[]; clientUs: number[]; statements: number }> = {
  before: { sqldUs: [], clientUs: [], statements: 0 },
  after: { sqldUs: [], clientUs: [], statements: 0 },
};
// A warm-up round of each, not counted.
for (let r = -1; r < rounds; r++)
  for (const mode of r % 2 === 0 ? (["before", "after"] as const) : (["after", "before"] as const)) {
    const t0 = cpuNs(), c0 = process.cpuUsage();
    let statements = 0;
    for (let i = 0; i < txns; i++) {
      const stmts = transaction(mode === "after");
      statements += stmts.length;
      await stream.transaction(stmts.map((s) => ({ sql: s.sql, args: toArgs(s.args) })));
    }
    const c = process.cpuUsage(c0);
    if (r < 0) continue;
    results[mode]!.sqldUs.push((cpuNs() - t0) / 1000 / txns);
    results[mode]!.clientUs.push((c.user + c.system) / txns);
    results[mode]!.statements = statements / txns;
  }
stream.close();
sqld.kill();
rmSync(dir, { recursive: true, force: true });

const fmt = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(" / ");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`${rounds} rounds of ${txns} transactions each way (${convsPerTxn} conversations' commits, ${inboxesPerTxn} inbox writes per transaction)`);
for (const [mode, r] of Object.entries(results))
  console.log(`${mode}: ${r.statements.toFixed(1)} statements per transaction; sqld µs per transaction ${fmt(r.sqldUs)} (median ${median(r.sqldUs).toFixed(0)}); this process ${fmt(r.clientUs)} (median ${median(r.clientUs).toFixed(0)})`);
