/**
 * History and search over a large database (Nexus only: the baselines persist nothing).
 * One user owns `conversations` groups holding `messagesPerConversation` messages in total
 * (quick: 50k, full: 1M), built through the socket path; then sequential timings of
 * GET /v1/conversations/:id/messages?before=&limit=50 and GET /v1/search?q=.
 */
import { readdirSync, statSync } from "node:fs";
import type { BenchConfig } from "../config.ts";
import { withServer, type Ctx } from "../lib/context.ts";
import { Histogram, latencySummary } from "../lib/histogram.ts";
import type { NexusServer } from "../targets/nexus.ts";
import { api, createGroup, inLanes, register } from "../targets/nexus.rest.ts";
import type { Target } from "../targets/types.ts";
import { RARE, VOCAB, fillConversation, prng, timeSequential } from "./historyData.ts";
import type { Scenario, SystemResult } from "./types.ts";

const summary = (ms: number[]) => {
  const h = new Histogram();
  for (const v of ms) h.record(v * 1000);
  return latencySummary(h);
};

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) total += statSync(`${e.parentPath}/${e.name}`).size;
  return total;
}

export const history: Scenario = {
  name: "history",
  title: "History page and search over a large database",
  workload: ({ history: h }) =>
    `${(h.conversations * h.messagesPerConversation).toLocaleString("en")} messages in ${h.conversations} conversations of one user; ` +
    `${h.pageQueries} history pages (limit 50, random position) and ${h.searchQueries} searches, one at a time`,
  columns: [
    { key: "messages", label: "messages" },
    { key: "buildPerSec", label: "build msgs/s (acked)" },
    { key: "pageP50", label: "page p50 ms" },
    { key: "pageP99", label: "page p99 ms" },
    { key: "searches", label: "searches ok" },
    { key: "searchFailures", label: "searches failed" },
    { key: "searchP50", label: "search p50 ms" },
    { key: "searchP99", label: "search p99 ms" },
    { key: "dbMB", label: "data dir MB" },
  ],
  async run(target: Target, cfg: BenchConfig, ctx: Ctx): Promise<SystemResult> {
    if (target.name !== "nexus")
      return { target: target.name, skipped: target.name === "socketio" || target.name === "rawBun" ? "no persistence, no history" : "measured on the single node only", metrics: {} };
    const h = cfg.history;
    return withServer(target, ctx, async (srv) => {
      const server = srv as NexusServer;
      const base = server.base;
      const [owner, other] = await inLanes(["hist_owner", "hist_other"], 2, (n) => register(base, n));
      const convs = await inLanes([...Array(h.conversations).keys()], 4, (i) => createGroup(base, owner!, `history ${i}`, [other!.username]));
      const total = h.conversations * h.messagesPerConversation;
      let acked = 0;
      const t0 = performance.now();
      const timer = setInterval(() => ctx.log(`nexus: history build ${acked}/${total} acked`), 2000);
      try {
        await Promise.all(
          convs.map(async (conv, i) => {
            const { ticket } = await api<{ ticket: string }>(base, "/v1/ws-ticket", { method: "POST", token: owner!.accessToken });
            await fillConversation(base, ticket, conv, h.messagesPerConversation, h.window, i + 1, () => acked++);
          }),
        );
      } finally {
        clearInterval(timer);
      }
      const buildMs = performance.now() - t0;
      ctx.log(`nexus: built ${total} messages in ${(buildMs / 1000).toFixed(1)} s`);
      const rand = prng(42);
      const auth = { token: owner!.accessToken };
      const pages = await timeSequential(h.pageQueries, h.queryBudgetMs, async () => {
        const conv = convs[Math.floor(rand() * convs.length)]!;
        const before = 51 + Math.floor(rand() * (h.messagesPerConversation - 50));
        const r = await api<{ events: unknown[] }>(base, `/v1/conversations/${conv}/messages?before=${before}&limit=50`, auth);
        if (r.events.length !== 50) throw new Error(`history page had ${r.events.length} events, expected 50`);
      });
      const kinds = [
        () => VOCAB[Math.floor(rand() * VOCAB.length)]!,
        () => `${VOCAB[Math.floor(rand() * VOCAB.length)]!} ${VOCAB[Math.floor(rand() * VOCAB.length)]!}`,
        () => RARE,
      ];
      const byKind: number[][] = [[], [], []];
      let emptyCommon = 0;
      let searchFailures = 0;
      let firstSearchError: string | undefined;
      const searches = await timeSequential(h.searchQueries, h.queryBudgetMs, async (i) => {
        const q = kinds[i % 3]!();
        const t = performance.now();
        try {
          const r = await api<{ hits: unknown[] }>(base, `/v1/search?q=${encodeURIComponent(q)}&limit=20`, auth);
          byKind[i % 3]!.push(performance.now() - t);
          if (i % 3 === 0 && r.hits.length === 0) emptyCommon++;
        } catch (e) {
          // A search that fails (e.g. the server drops a request that runs past its idle timeout)
          // is counted, not fatal: the page timings and the other searches still get reported.
          searchFailures++;
          firstSearchError ??= `${String((e as Error).message ?? e)} after ${Math.round(performance.now() - t)} ms (q="${q}")`;
        }
      });
      const p = summary(pages);
      const s = summary(byKind.flat());
      const k = byKind.map(summary);
      return {
        target: target.name,
        description: server.description,
        error:
          [
            emptyCommon ? `${emptyCommon} one-word searches returned no hits (expected ~1% of messages to match)` : "",
            searchFailures ? `${searchFailures} searches failed; first: ${firstSearchError}` : "",
          ]
            .filter(Boolean)
            .join("; ") || undefined,
        metrics: {
          messages: total,
          buildPerSec: Math.round((total / buildMs) * 1000),
          pages: pages.length,
          searches: searches.length - searchFailures,
          searchFailures,
          pageP50: p.p50,
          pageP99: p.p99,
          searchP50: s.p50,
          searchP99: s.p99,
          searchOneWordP50: k[0]!.p50,
          searchOneWordP99: k[0]!.p99,
          searchTwoWordsP50: k[1]!.p50,
          searchTwoWordsP99: k[1]!.p99,
          searchRareP50: k[2]!.p50,
          searchRareP99: k[2]!.p99,
          dbMB: Math.round(dirBytes(server.dataDir) / 1048576),
        },
      };
    });
  },
};
