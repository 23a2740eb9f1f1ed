/**
 * Per-file test setup: start a target with the file's limits before its tests, stop it after;
 * close every socket a test opened and check every frame it received against the protocol schema.
 * The first account registered on a fresh server becomes account admin, so `root` is registered
 * first and the users a test creates are plain users.
 */
import { afterAll, afterEach, beforeAll, expect } from "bun:test";
import { Nexus, type Session } from "../support/client.ts";
import type { Target, TargetFactory } from "./target.ts";

export interface Ctx {
  readonly target: Target;
  readonly nx: Nexus;
  /** Account admin (first registered user). */
  readonly root: Session;
  /** Register `n` fresh plain users. */
  users(n: number, prefix?: string): Promise<Session[]>;
  /** `owner` creates a group with `members`; returns ConversationInfo. */
  group(owner: Session, members: Session[], title?: string): Promise<any>;
}

/**
 * Set for every target: the suite signs up dozens of accounts and makes many REST calls from one
 * loopback address, which per-IP and per-user request limits (edge/config.ts) would otherwise refuse.
 */
export const SUITE_ENV: Record<string, string> = { AUTH_RATE_LIMIT_PER_MINUTE: "100000", RATE_LIMIT_PER_MINUTE: "100000" };

export function useTarget(factory: TargetFactory, env: Record<string, string> = {}): Ctx {
  let target: Target | undefined;
  let nx: Nexus | undefined;
  let root: Session | undefined;
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${what} not ready: the target failed to start (see beforeAll error)`);
    return v;
  };
  beforeAll(async () => {
    target = await factory({ ...SUITE_ENV, ...env });
    nx = new Nexus(target.url);
    root = await nx.register("root");
  }, 120_000);
  afterEach(async () => {
    if (!nx) return;
    const errors = nx.protocolErrors();
    await nx.closeAll();
    expect(errors).toEqual([]);
  });
  afterAll(async () => {
    await nx?.closeAll();
    await target?.stop();
  }, 60_000);
  const ctx: Ctx = {
    get target() {
      return need(target, "target");
    },
    get nx() {
      return need(nx, "client");
    },
    get root() {
      return need(root, "root user");
    },
    async users(n, prefix = "u") {
      const out: Session[] = [];
      for (let i = 0; i < n; i++) out.push(await ctx.nx.register(`${prefix}${i}`));
      return out;
    },
    async group(owner, members, title = "conformance group") {
      return owner.createGroup(title, members);
    },
  };
  return ctx;
}

/** After a restart the base URL may change and tokens may be re-issued: point the client at the new URL. */
export function retarget(ctx: Ctx): Nexus {
  ctx.nx.baseUrl = ctx.target.url;
  return ctx.nx;
}

/** Events of kind message, by seq. */
export const messages = (events: any[]) => events.filter((e) => e.kind === "message");

/** Assert seqs are exactly from..to in order. */
export function expectSeqRange(seqs: number[], from: number, to: number): void {
  const want: number[] = [];
  for (let s = from; s <= to; s++) want.push(s);
  expect(seqs).toEqual(want);
}

/** Poll `check` until it returns true or `timeoutMs` passes; returns the last result (for eventual state). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 5000, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await Bun.sleep(everyMs);
  }
}
