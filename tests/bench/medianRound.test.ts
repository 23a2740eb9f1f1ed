/**
 * With several rounds the bench reports each system's median round by the figure the scenario's
 * targets judge: for a fixed-rate fan-out that is the CPU per delivery (#15), not delivered/s, which
 * is the same in every round and would pick an arbitrary round's CPU.
 */
import { expect, test } from "bun:test";
import { median } from "../../bench/bench.ts";
import { fanout } from "../../bench/scenarios/fanout.ts";
import { everydayScenario } from "../../bench/scenarios/everyday.ts";
import { idle } from "../../bench/scenarios/connections.ts";
import type { SystemResult } from "../../bench/scenarios/types.ts";

const round = (deliveredPerSec: number, serverCpuUsPerDelivery: number): SystemResult => ({ target: "nexusCluster", metrics: { deliveredPerSec, serverCpuUsPerDelivery } });

test("a fan-out's median round is chosen by its CPU per delivery", () => {
  expect(fanout.medianBy).toBe("serverCpuUsPerDelivery");
  const rounds = [round(9_998, 61), round(9_990, 47), round(9_995, 75), round(9_991, 55), round(9_997, 52)];
  expect(median(rounds, fanout.medianBy).metrics.serverCpuUsPerDelivery).toBe(55);
  // By delivered/s (the choice before medianBy) it would have been the round at 75 µs.
  expect(median(rounds, "deliveredPerSec").metrics.serverCpuUsPerDelivery).toBe(75);
});

test("a failed round or one without the figure is left out; the everyday and idle scenarios judge CPU", () => {
  const failed: SystemResult = { target: "nexusCluster", error: "boom", metrics: { serverCpuUsPerDelivery: 1 } };
  expect(median([failed, round(1, 40), round(1, 50), round(1, 60)], "serverCpuUsPerDelivery").metrics.serverCpuUsPerDelivery).toBe(50);
  expect(everydayScenario({ name: "1x2@1", groups: 1, members: 2, ratePerSender: 1 }).medianBy).toBe("serverCpuUsPerMessage");
  expect(idle.medianBy).toBe("idleCpuPct");
});
