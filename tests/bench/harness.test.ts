/**
 * The benchmark harness itself (not a benchmark): on a tiny workload, every target delivers every
 * message to every member exactly once and in order, and the counts the reports are built from add
 * up. No timing assertions.
 */
import { describe, expect, test } from "bun:test";
import { targetsCheck } from "../../bench/lib/report.ts";
import { runBench } from "../../bench/bench.ts";
import { tiny } from "../../bench/config.ts";
import { consoleCtx } from "../../bench/lib/context.ts";
import { Histogram } from "../../bench/lib/histogram.ts";
import { OrderTracker } from "../../bench/lib/order.ts";
import type { ScenarioReport } from "../../bench/lib/report.ts";
import type { TargetName } from "../../bench/targets/types.ts";

const run = (targets: TargetName[], scenarios: ScenarioReport["scenario"][]) =>
  runBench({ config: tiny, targets, scenarios, rounds: 1, write: false, print: false, ctx: consoleCtx(false, () => {}) });

describe("bench building blocks", () => {
  test("OrderTracker tells duplicates, out-of-order and missing counters apart", () => {
    const t = new OrderTracker();
    expect(t.see(7, 0)).toBe("ok");
    expect(t.see(7, 2)).toBe("ok");
    expect(t.see(7, 1)).toBe("ooo");
    expect(t.see(7, 2)).toBe("dup");
    expect(t.see(7, 5000)).toBe("ok");
    expect(t.missing(7, 0, 6)).toBe(3); // 3, 4, 5
    expect(t.missing(8, 0, 4)).toBe(4);
  });

  test("Histogram percentiles stay within the bucket precision and merge", () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let i = 1; i <= 1000; i++) (i % 2 ? a : b).record(i * 100);
    a.merge(Histogram.from(b.toJSON()));
    expect(a.n).toBe(1000);
    expect(a.quantile(0.5)).toBeGreaterThanOrEqual(50_000);
    expect(a.quantile(0.5)).toBeLessThan(50_000 * 1.02);
    expect(a.quantile(1)).toBe(100_000);
  });
});

function expectClean(report: ScenarioReport, target: TargetName) {
  const sys = report.systems[target]!;
  expect(sys.error).toBeUndefined();
  const m = sys.metrics;
  expect(m.sent as number).toBeGreaterThan(0);
  // Every message goes to all members of its group, the sender included.
  expect(m.expected).toBe((m.sent as number) * tiny.fanout.members);
  expect(m.delivered).toBe(m.expected);
  expect(m.lost).toBe(0);
  expect(m.duplicates).toBe(0);
  expect(m.outOfOrder).toBe(0);
  expect(m.unexpectedCloses).toBe(0);
}

describe("fan-out counts on a tiny workload", () => {
  for (const target of ["rawBun", "socketio", "nexus", "nexusCluster", "nexusRegions"] as TargetName[])
    test(`${target}: every message delivered once, in order, to every member`, async () => {
      const [report] = await run([target], ["fanout"]);
      expect(report!.scenario).toBe("fanout");
      expectClean(report!, target);
      if (target !== "rawBun" && target !== "socketio") expect(report!.systems[target]!.metrics.ackP50).not.toBeNull();
    }, 90_000);

  test("ratios are computed when Nexus and a baseline run together", async () => {
    const [report] = await run(["rawBun", "nexus"], ["fanout"]);
    expectClean(report!, "rawBun");
    expectClean(report!, "nexus");
    expect(typeof report!.ratios["nexus/rawBun"]!.deliveredPerSec).toBe("number");
  });
});

describe("other scenarios on a tiny workload", () => {
  test("connections: every socket is held", async () => {
    const [report] = await run(["rawBun", "nexus"], ["connections"]);
    const expected = tiny.connections.groups * tiny.connections.members * tiny.connections.socketsPerMember;
    for (const t of ["rawBun", "nexus"] as const) {
      expect(report!.systems[t]!.error).toBeUndefined();
      expect(report!.systems[t]!.metrics.held).toBe(expected);
    }
  });

  test("history: Nexus builds the database and answers pages and searches; baselines are skipped", async () => {
    const [report] = await run(["rawBun", "nexus"], ["history"]);
    expect(report!.systems.rawBun!.skipped).toBeDefined();
    const nx = report!.systems.nexus!;
    expect(nx.error).toBeUndefined();
    expect(nx.metrics.messages).toBe(tiny.history.conversations * tiny.history.messagesPerConversation);
    expect(nx.metrics.pageP50 as number).toBeGreaterThan(0);
    expect(nx.metrics.searchP50 as number).toBeGreaterThan(0);
  });

  test("everyday: a room where only some members send; CPU per message and per core; targets printed", async () => {
    const room = tiny.everyday.shapes.find((x) => x.senders)!;
    const reports = await run(["socketio", "nexus"], [`everyday-${room.name}`, "idle"]);
    const [everyday, idle] = reports as [ScenarioReport, ScenarioReport];
    for (const t of ["socketio", "nexus"] as const) {
      const m = everyday.systems[t]!.metrics;
      expect(everyday.systems[t]!.error).toBeUndefined();
      expect(m.delivered).toBe((m.sent as number) * room.members);
      expect(m.lost).toBe(0);
      expect(m.outOfOrder).toBe(0);
      // Only `senders` of the members sent: the measured rate is theirs, not the room's.
      expect(m.messagesPerSec as number).toBeLessThan(room.senders! * room.ratePerSender * 1.5);
      expect(m.serverCpuUsPerMessage as number).toBeGreaterThan(0);
      expect(m.deliveriesPerCore as number).toBeGreaterThan(0);
      expect(idle.systems[t]!.metrics.held).toBe(tiny.idle.groups * tiny.idle.members * tiny.idle.socketsPerMember);
      expect(typeof idle.systems[t]!.metrics.idleCpuPct).toBe("number");
    }
    expect(typeof everyday.ratios["nexus/socketio"]!.serverCpuUsPerMessage).toBe("number");
    const check = targetsCheck(reports);
    expect(check).toMatch(/idle: <= 4 KB RSS per socket \| [\d.]+ KB \| (met|NOT met)/);
  }, 90_000);

  test("saturation: the ramp records a passing step and the half-rate run", async () => {
    const [report] = await run(["rawBun"], ["saturation"]);
    const m = report!.systems.rawBun!.metrics;
    expect(m.saturationPerSec as number).toBeGreaterThan(0);
    expect(m.lostAtHalf).toBe(0);
    expect(m.oooTotal).toBe(0);
  });
});
