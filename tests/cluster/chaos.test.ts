/**
 * The short, fixed-seed chaos run (infra/chaos/chaos.ts; `npm run chaos` runs it longer): regions
 * a:2, b:1, c:1 with 40 ms between regions, steady traffic from clients that reconnect and resend by
 * clientId, and for 30 s (at least 3) faults one after another (kill -9 of nodes, nats-servers, redis-servers,
 * sqlds; a region's gateway cut), with automatic moves of conversations between regions on and made
 * frequent (chaos.ts FREQUENT_MOVES) and an operator's move every ~5 s, so moves meet faults. Asserts the invariants only — nothing acknowledged lost,
 * duplicated or out of order — and that every writer was acknowledged after the last fault healed;
 * the unavailable windows are printed, not asserted (this machine's load decides them).
 */
import { describe, expect, test } from "bun:test";
import { percentile, runChaos } from "../../infra/chaos/chaos.ts";

describe("chaos (short, seed 37)", () => {
  test("faults under multi-region traffic: 0 acknowledged messages lost, duplicated or misordered", async () => {
    const r = await runChaos({ seed: 37, durationMs: 30_000, minFaults: 3, moveEveryMs: 5000, log: (l) => console.log(`[chaos] ${l}`) });
    console.log(`[chaos] ${r.acked} acks; moves: ${r.moves} counted by the nodes up at the end, operator moves ${JSON.stringify(r.operatorMoves)}`);
    for (const [kind, ws] of Object.entries(r.windows))
      if (ws.length) console.log(`[chaos] ${kind}: p50 ${percentile(ws, 50)} ms, max ${Math.max(...ws)} ms over ${ws.length} windows`);
    expect(r.faults.length).toBeGreaterThanOrEqual(3);
    expect(r.acked).toBeGreaterThan(100);
    expect({ lost: r.lost, duplicated: r.duplicated, misordered: r.misordered }).toEqual({ lost: 0, duplicated: 0, misordered: 0 });
    expect(r.recoveredAfterLastFault).toBe(true);
  }, 300_000);
});
