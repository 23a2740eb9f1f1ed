/**
 * The layout is checked, not hoped: the core (protocol, actors, edge) compiles without Bun, Workers,
 * Node or DOM types (tsconfig.core.json), the whole tree type-checks (tsconfig.json), and
 * dependency-cruiser (.dependency-cruiser.cjs) finds no import cycle, no upward import and no
 * runtime module in the core. The planted-violation tests prove the checker catches each kind.
 */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const bin = (name: string) => join(ROOT, "node_modules", ".bin", name);
const CONFIG = join(ROOT, ".dependency-cruiser.cjs");
const TREE = ["protocol", "actors", "edge", "hosts", "web/src", "scripts", "bench", "infra", "tests"];

function run(cmd: string, args: string[], cwd = ROOT) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 240_000 });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

function cruise(cwd: string, paths: string[]) {
  return run(bin("depcruise"), ["--config", CONFIG, "--no-progress", ...paths], cwd);
}

/** A throwaway tree with the project's folder names, for planting violations. */
function plant(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "nexus-layers-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  writeFileSync(join(dir, "tsconfig.json"), readFileSync(join(ROOT, "tsconfig.json")));
  return dir;
}

describe("layers", () => {
  test("the core type-checks with no runtime's types (tsconfig.core.json)", () => {
    const r = run(bin("tsc"), ["--noEmit", "-p", "tsconfig.core.json"]);
    expect(r.out.trim()).toBe("");
    expect(r.code).toBe(0);
  });

  test("the whole tree type-checks (tsconfig.json)", () => {
    const r = run(bin("tsc"), ["--noEmit", "-p", "tsconfig.json"]);
    expect(r.out.trim()).toBe("");
    expect(r.code).toBe(0);
  });

  test("no import cycle, upward import or runtime module in the core", () => {
    const r = cruise(ROOT, TREE);
    expect(r.out).toContain("no dependency violations found");
    expect(r.code).toBe(0);
  });

  test("web components (.tsx, which the checker skips) import nothing but protocol and web", () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith(".tsx") && /from "(\.\.\/)+(actors|edge|hosts)\//.test(readFileSync(p, "utf8"))) offenders.push(p);
      }
    };
    walk(join(ROOT, "web/src"));
    expect(offenders).toEqual([]);
  });

  describe("the checker catches each kind of violation", () => {
    const cases: Record<string, { files: Record<string, string>; rule: string }> = {
      "an import cycle": {
        files: { "actors/a.ts": `import { b } from "./b.ts";\nexport const a = () => b;\n`, "actors/b.ts": `import { a } from "./a.ts";\nexport const b = () => a;\n` },
        rule: "no-cycles",
      },
      "an upward import (actors → edge)": {
        files: { "actors/a.ts": `import { e } from "../edge/e.ts";\nexport const a = e;\n`, "edge/e.ts": `export const e = 1;\n` },
        rule: "actors-below-edge",
      },
      "the core importing a host": {
        files: { "edge/e.ts": `import { h } from "../hosts/bun/h.ts";\nexport const e = h;\n`, "hosts/bun/h.ts": `export const h = 1;\n` },
        rule: "core-imports-no-host",
      },
      "a Node module in the core": {
        files: { "actors/a.ts": `import { readFileSync } from "node:fs";\nexport const a = readFileSync;\n` },
        rule: "core-is-runtime-free",
      },
      "a Bun module in the core": {
        files: { "protocol/p.ts": `import { serve } from "bun";\nexport const p = serve;\n` },
        rule: "core-is-runtime-free",
      },
      "a Workers module in the core": {
        files: { "edge/e.ts": `import { DurableObject } from "cloudflare:workers";\nexport const e = DurableObject;\n` },
        rule: "core-is-runtime-free",
      },
      "one runtime's folder importing another's": {
        files: { "hosts/cloudflare/c.ts": `import { b } from "../bun/b.ts";\nexport const c = b;\n`, "hosts/bun/b.ts": `export const b = 1;\n` },
        rule: "one-folder-per-runtime",
      },
    };
    for (const [name, { files, rule }] of Object.entries(cases))
      test(name, () => {
        const dir = plant(files);
        try {
          const r = cruise(dir, [...new Set(Object.keys(files).map((f) => f.split("/")[0]!))]);
          expect(r.out).toContain(`error ${rule}`);
          expect(r.code).not.toBe(0);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
  });
});
