/**
 * Repro of sqld's stall (#16), without any Nexus code: a throwaway sqld (as tests/support starts it)
 * and N @libsql/client WebSocket clients, each writing BURST rows at once (autocommit
 * `INSERT … ON CONFLICT … RETURNING`, the old fencing-token write), again and again. With several
 * writes at once the server stops answering every request for good while spinning a core; its
 * write-lock queue (libsql-server connection_manager.rs) is where its threads wait (gdb). BURST=1
 * per client is what the write lane (hosts/cluster/storage/writeLane.ts) leaves.
 *
 *   bun scripts/sqldStall.ts                          # CLIENTS=3 BURST=25 SECONDS=20 READS=0
 *   CLIENTS=3 BURST=1 SECONDS=40 bun scripts/sqldStall.ts
 * Exit code 1 if the server stalled (no write answered for 4 s or more).
 */
import { startBareSqld } from "./lib/bareSqld.ts";
import { createClient } from "@libsql/client/ws";
import { rmSync } from "node:fs";
import { join } from "node:path";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const clients = env("CLIENTS", 3), burst = env("BURST", 25), seconds = env("SECONDS", 20), readers = env("READS", 0);

const sqld = await startBareSqld("nexus-sqldstall");
const { port, dir } = sqld;
console.log(`sqld pid ${sqld.pid} on ${port}; ${clients} clients × ${burst} writes at once, ${readers} readers each, ${seconds} s`);

const cs = Array.from({ length: clients }, () => createClient({ url: `ws://127.0.0.1:${port}`, intMode: "bigint" }));
await cs[0]!.execute("CREATE TABLE f (id TEXT PRIMARY KEY, token INTEGER NOT NULL)");
let writes = 0, reads = 0, errors = 0, n = 0, lastWrites = 0, stalledTicks = 0;
const started = performance.now(), end = started + seconds * 1000;
const tick = setInterval(() => {
  const stalled = writes === lastWrites;
  stalledTicks = stalled ? stalledTicks + 1 : 0;
  console.log(`${((performance.now() - started) / 1000).toFixed(0)} s: ${writes} writes, ${reads} reads, ${errors} errors${stalled ? " — no write answered in 2 s" : ""}`);
  lastWrites = writes;
}, 2000);
let stallSeen = false;
const watch = setInterval(() => (stallSeen ||= stalledTicks >= 2), 500);
const upsert = (c: (typeof cs)[0], id: string) =>
  c.execute({ sql: "INSERT INTO f VALUES (?, 1) ON CONFLICT (id) DO UPDATE SET token = token + 1 RETURNING token", args: [id] });
await Promise.race([
  Promise.all([
    ...cs.map(async (c, k) => {
      while (performance.now() < end && !stallSeen)
        await Promise.all(Array.from({ length: burst }, () => upsert(c, `k${k}_${n++}`).then(() => writes++, () => errors++)));
    }),
    ...cs.flatMap((c) => Array.from({ length: readers }, async () => {
      while (performance.now() < end && !stallSeen) await c.execute("SELECT count(*) FROM f").then(() => reads++, () => errors++);
    })),
  ]),
  (async () => {
    while (!stallSeen && performance.now() < end + 10_000) await Bun.sleep(250);
  })(),
]);
clearInterval(tick);
clearInterval(watch);
console.log(stallSeen ? `STALLED after ${writes} writes (sqld log: ${join(dir, "sqld.log")})` : `no stall: ${writes} writes, ${reads} reads, ${errors} errors`);
sqld.kill();
for (const c of cs) c.close();
if (!stallSeen) rmSync(dir, { recursive: true, force: true });
process.exit(stallSeen ? 1 : 0);
