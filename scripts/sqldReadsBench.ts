/**
 * sqld's CPU per read through @libsql/client's `execute` (a stream, so an sqld connection, per
 * call) and on a long-lived hrana stream (hosts/cluster/storage/readStreams.ts), issue #15's fourth
 * pass (bench/README.md): a throwaway sqld with the cluster's real schema, the search indexer's
 * progress read, alternating rounds. sqld's CPU from /proc/<pid>/task/<tid>/schedstat (Linux).
 *
 *   bun scripts/sqldReadsBench.ts           # ROUNDS=8 READS=500
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { startBareSqld, threadCpuNs } from "./lib/bareSqld.ts";
import * as hrana from "@libsql/hrana-client";
import { createClient } from "@libsql/client/ws";
import { BunActorSystem } from "../hosts/bun/BunActorSystem.ts";
import { moveFenceSchema } from "../actors/storage/moveFence.ts";
import { fenceSchema } from "../actors/storage/ownerFence.ts";
import { openRemoteLibsql } from "../hosts/cluster/storage/remoteLibsql.ts";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const rounds = env("ROUNDS", 8), reads = env("READS", 500);
const sqld = await startBareSqld("nexus-readbench");
const { port, dir } = sqld;
const setup = await openRemoteLibsql(`http://127.0.0.1:${port}`);
await BunActorSystem.migrate(setup);
await setup.migrate(moveFenceSchema);
await setup.migrate(fenceSchema);
await setup.close();

const cpuNs = () => threadCpuNs(sqld.pid);
const client = createClient({ url: `ws://127.0.0.1:${port}`, intMode: "bigint" });
const ws = hrana.openWs(`ws://127.0.0.1:${port}`);
const stream = ws.openStream();
const Q = "SELECT upto, (SELECT COALESCE(MAX(rowid), 0) FROM events) AS last FROM fts_state WHERE id = 1";
const res: Record<string, { sqld: number[]; self: number[] }> = { execute: { sqld: [], self: [] }, stream: { sqld: [], self: [] } };
for (let r = 0; r < rounds; r++)
  for (const mode of r % 2 ? ["stream", "execute"] : ["execute", "stream"]) {
    const t0 = cpuNs(), c0 = process.cpuUsage();
    for (let i = 0; i < reads; i++) await (mode === "execute" ? client.execute(Q) : stream.query(Q));
    const c = process.cpuUsage(c0);
    res[mode]!.sqld.push((cpuNs() - t0) / 1000 / reads);
    res[mode]!.self.push((c.user + c.system) / reads);
  }
client.close();
ws.close();
sqld.kill();
rmSync(dir, { recursive: true, force: true });
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(" / ");
console.log(`${rounds} rounds of ${reads} reads each way`);
for (const [mode, r] of Object.entries(res)) console.log(`${mode}: sqld µs per read ${fmt(r.sqld)}; this process ${fmt(r.self)}`);
