/**
 * The property-based fuzz suite (issue #18), run against every conformance host:
 *
 *   fuzzSuite("bun host", startBunHost);
 *
 * Every route of the edge app and every client frame type gets generated input (valid, near-valid,
 * garbage; see arbitraries.ts). Invariants: no 5xx and no `internal` error frame; every refusal a
 * 4xx / error frame with a code of protocol/errors.ts; no state change after a refusal; every
 * accepted write reads back exactly as acknowledged, at once and after a crash and restart.
 * Stored strings with NUL or lone surrogates must be either refused or read back identical.
 * Fixed seed by default; FUZZ_SEED, FUZZ_RUNS (runs per route / frame type) and FUZZ_SHRINK=1 vary it.
 * Two refusals come from below the app and are accepted as clear: the HTTP server's 414/431 for a
 * URL over 8 KB, and the WebSocket layer's close 1009 for a frame over 4x maxFrameBytes.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import fc from "fast-check";
import { ConversationClientFrame, InboxClientFrame } from "../../protocol/frames.ts";
import { useTarget, retarget } from "../conformance/harness.ts";
import type { SuiteOptions, TargetFactory } from "../conformance/target.ts";
import type { Session } from "../support/client.ts";
import { appRoutes, conversationFrameTypes, inboxFrameTypes } from "./appRoutes.ts";
import { fuzzParams } from "./arbitraries.ts";
import { checkConversationAnswer, framesOf, freshClientIds, FuzzSocket } from "./frameFuzz.ts";
import { expectAllReadBack, expectCleanAnswer, expectCleanErrorFrame, makeWorld, snapshot, type World } from "./fuzzWorld.ts";
import { REST_CASES, type Request } from "./restCases.ts";

/** FUZZ_DEBUG=1: log every request's answer and how many writes each property got accepted. */
const DEBUG = process.env.FUZZ_DEBUG === "1";

/** Limits that would refuse the fuzzer's own pace rather than its input. */
const FUZZ_ENV = { NEXUS_SENDS_PER_SECOND: "10000", AUTH_CACHE_MS: "0" };

export interface FuzzOptions extends SuiteOptions {
  /** Runs per route and per frame type unless FUZZ_RUNS says otherwise. */
  runs?: number;
}

function queryString(q: unknown): string {
  if (q === undefined) return "";
  if (q === null || typeof q !== "object" || Array.isArray(q)) return `?${encodeURIComponent(JSON.stringify(q) ?? "")}`;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) params.append(k, typeof v === "string" ? v : JSON.stringify(v) ?? "");
  return `?${params}`;
}

export function fuzzSuite(name: string, factory: TargetFactory, opts: FuzzOptions = {}): void {
  setDefaultTimeout(120_000);
  const runs = opts.runs ?? 20;
  const params = (property: string) => fuzzParams(runs, `${name}: ${property}`);
  describe(`fuzz: ${name}`, () => {
    const ctx = useTarget(factory, FUZZ_ENV);
    let w: World;
    const world = async () => (w ??= await makeWorld(ctx.nx, ctx.root));

    test("every route of the app has a fuzz case", () => {
      expect(appRoutes().filter((r) => !REST_CASES[r])).toEqual([]);
    });

    for (const [route, c] of Object.entries(REST_CASES)) {
      const method = route.split(" ")[0]!;
      test(`REST ${route}`, async () => {
        const w = await world();
        let accepted = 0;
        await fc.assert(
          fc.asyncProperty(c.request(w), fc.nat(9), async (req: Request, dice) => {
            const who = c.as(w);
            const headers: Record<string, string> = { ...req.headers };
            // One request in a few carries a broken token instead of the caller's.
            const token = who && (dice === 0 ? `${who.token.slice(0, -4)}AAAA` : who.token);
            if (token) headers.authorization = `Bearer ${token}`;
            let body: BodyInit | undefined;
            if (req.raw !== undefined) body = req.raw as BodyInit;
            else if (req.body !== undefined) {
              body = JSON.stringify(req.body);
              headers["content-type"] = "application/json";
            }
            const before = await snapshot(w);
            const path = `${req.path}${queryString(req.query)}`;
            const res = await ctx.nx.request(method, path, body, undefined, headers);
            const what = `${method} ${path.slice(0, 200)} ${typeof body === "string" ? body.slice(0, 200) : ""}`;
            expectCleanAnswer(res, what, path.length);
            if (DEBUG) console.log(`[fuzz] ${res.status} ${what.slice(0, 150)} ${res.text.slice(0, 150)}`);
            if (res.status >= 400) expect(await snapshot(w), `${what} was refused but changed state`).toEqual(before);
            else if (c.readBack) {
              accepted++;
              await c.readBack(w, req, res);
            }
          }),
          params(route),
        );
        // Not an assertion on the server: says when generators stopped producing accepted writes.
        if (c.readBack && DEBUG) console.log(`[fuzz] ${route}: ${accepted} accepted writes read back`);
      });
    }

    test("every client frame type has a generator", () => {
      expect(conversationFrameTypes().length).toBeGreaterThan(0);
      expect(inboxFrameTypes()).toContain("presence");
    });

    for (const t of conversationFrameTypes()) {
      test(`conversation frame ${t}`, async () => {
        const w = await world();
        // Calls are 1:1: their frames go to the direct conversation, the rest to the sandbox group.
        const conv = t === "call" ? w.direct : w.group;
        const sock = new FuzzSocket(w.alice, async (s: Session) => (await s.join(conv)).sock);
        let accepted = 0;
        await fc.assert(
          fc.asyncProperty(framesOf(ConversationClientFrame, t), fc.boolean(), async (f0, fresh) => {
            const f = fresh ? freshClientIds(f0) : f0;
            const before = await snapshot(w);
            const answers = await sock.exchange(f);
            if (await checkConversationAnswer(w, conv, f, answers, before)) accepted++;
          }),
          params(`frame ${t}`),
        );
        if (DEBUG && ["send", "edit", "delete", "react"].includes(t)) console.log(`[fuzz] frame ${t}: ${accepted} accepted writes read back`);
      });
    }

    for (const t of inboxFrameTypes()) {
      test(`inbox frame ${t}`, async () => {
        const w = await world();
        const sock = new FuzzSocket(w.alice, async (s: Session) => {
          const inbox = await s.openInbox();
          await inbox.next("inbox");
          return inbox;
        });
        await fc.assert(
          fc.asyncProperty(framesOf(InboxClientFrame, t), async (f) => {
            for (const a of await sock.exchange(f)) if (a.t === "error") expectCleanErrorFrame(a, `inbox frame ${f.raw.slice(0, 160)}`);
          }),
          params(`inbox frame ${t}`),
        );
      });
    }

    test("everything acknowledged reads back the same, now and after a crash and restart", async () => {
      const w = await world();
      expect(w.expected.messages.size + w.expected.titles.size).toBeGreaterThan(0);
      await expectAllReadBack(w, w.alice, ctx.nx);
      if (opts.restartable === false || !ctx.target.restart) return;
      await ctx.nx.closeAll();
      await ctx.target.restart();
      const nx = retarget(ctx);
      const alice = await nx.login(w.alice.username, w.alice.password);
      await expectAllReadBack(w, alice, nx);
    });
  });
}
