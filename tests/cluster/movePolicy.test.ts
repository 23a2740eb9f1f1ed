/** When a conversation moves by itself (hosts/cluster/movePolicy.ts): the rule, step by step. */
import { describe, expect, test } from "bun:test";
import { MovePolicy } from "../../hosts/cluster/movePolicy.ts";

function policy(opts: Partial<{ sustainedChecks: number; minWrites: number; cooldownMs: number }> = {}) {
  const moves: Array<[string, string]> = [];
  let t = 0;
  const owned = new Set(["g_conv1", "g_conv2"]);
  const p = new MovePolicy("conversation", { checkMs: 1000, sustainedChecks: 3, minWrites: 10, cooldownMs: 60_000, ...opts }, "a",
    (id) => owned.has(id), async (id, to) => void moves.push([id, to]), () => t);
  return { p, moves, owned, tick: (ms: number) => (t += ms) };
}

const writes = (p: MovePolicy, id: string, region: string, n: number) => {
  for (let i = 0; i < n; i++) p.write(id, region);
};

describe("automatic moves", () => {
  test("writes mostly from another region for sustainedChecks checks in a row: moves there, once", () => {
    const { p, moves } = policy();
    for (let i = 0; i < 2; i++) {
      writes(p, "g_conv1", "c", 9);
      writes(p, "g_conv1", "a", 1);
      p.check();
    }
    expect(moves).toEqual([]);
    writes(p, "g_conv1", "c", 9);
    p.check();
    expect(moves).toEqual([["g_conv1", "c"]]);
    writes(p, "g_conv1", "c", 9);
    p.check();
    expect(moves).toEqual([["g_conv1", "c"]]);
  });

  test("no region with 3/4 of the writes (members on both sides): stays", () => {
    const { p, moves } = policy();
    for (let i = 0; i < 10; i++) {
      writes(p, "g_conv1", "c", 6);
      writes(p, "g_conv1", "a", 4);
      p.check();
    }
    expect(moves).toEqual([]);
  });

  test("too few writes: stays; the home's own region dominating: stays", () => {
    const { p, moves } = policy({ minWrites: 100 });
    for (let i = 0; i < 5; i++) {
      writes(p, "g_conv1", "c", 10);
      writes(p, "g_conv2", "a", 200);
      p.check();
    }
    expect(moves).toEqual([]);
  });

  test("a streak broken by a mixed check starts again", () => {
    const { p, moves } = policy({ minWrites: 1 });
    writes(p, "g_conv1", "c", 100);
    p.check();
    writes(p, "g_conv1", "c", 100);
    p.check();
    writes(p, "g_conv1", "a", 400); // the window is now mostly a
    p.check();
    expect(moves).toEqual([]);
  });

  test("cooldown after a move anywhere in the cluster; conversations not owned here are not counted", () => {
    const { p, moves, owned, tick } = policy({ sustainedChecks: 1, minWrites: 1, cooldownMs: 60_000 });
    p.moved("g_conv1");
    writes(p, "g_conv1", "c", 50);
    p.check();
    expect(moves).toEqual([]);
    tick(60_000);
    writes(p, "g_conv1", "c", 50);
    p.check();
    expect(moves).toEqual([["g_conv1", "c"]]);
    owned.delete("g_conv2");
    writes(p, "g_conv2", "c", 50);
    p.check();
    expect(moves).toEqual([["g_conv1", "c"]]);
  });
});
