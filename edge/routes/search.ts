/**
 * Search over the conversations the caller belongs to (protocol/searchQuery.ts is the language):
 * the query is parsed here once, names (from:) and titles (in:) are resolved here, and each
 * conversation actor searches its own log (members only) with the rest. Results are merged newest
 * first (ts, then conversation id, then seq, descending) and paged with a cursor: the last hit's
 * place in that order, from which every conversation searches strictly below.
 *
 * A conversation whose storage cannot answer now (a retryable `unavailable` or `storage_unavailable`:
 * in cluster mode, its home region lost) is left out of a search over several conversations and
 * named in `unavailable`, so the caller's other conversations stay searchable and the answer says
 * it is incomplete; a search of that one conversation still gets the 503.
 */
import { Hono } from "hono";
import { isNexusError, NexusError, parseSearchQuery, SearchCursor, SearchQuery, type ConversationSummary, type MessageEvent, type MessageSearch } from "../../protocol/index.ts";
import { base64url } from "../../protocol/ids.ts";
import type { Host } from "../host.ts";
import type { AppEnv } from "../middleware/env.ts";
import { parse, validate } from "../middleware/validate.ts";
import { callerOf } from "./callerOf.ts";

/** How many conversations one search visits (most recently active first). */
const MAX_CONVERSATIONS = 200;

interface Hit {
  conversationId: string;
  event: MessageEvent;
}

const encodeCursor = (c: SearchCursor) => base64url(new TextEncoder().encode(JSON.stringify(c)));

function decodeCursor(s: string): SearchCursor {
  let json: unknown;
  try {
    const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
    json = JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0))));
  } catch {
    throw new NexusError("bad_request", "cursor: not a cursor this server gave out");
  }
  return parse(SearchCursor, json, "cursor");
}

/** Descending order of hits: ts, then conversation id, then seq. */
const newerFirst = (a: Hit, b: Hit) =>
  b.event.ts - a.event.ts || (a.conversationId < b.conversationId ? 1 : a.conversationId > b.conversationId ? -1 : b.event.seq - a.event.seq);

/** `in:` matches a group's title, or a direct chat's other member's name. */
function titleOf(s: ConversationSummary, me: string): string {
  return (s.type === "group" ? s.title : s.members.filter((m) => m.userId !== me).map((m) => m.username).join(" ")).toLowerCase();
}

export function searchRoutes(deps: Host): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get("/v1/search", validate("query", SearchQuery), async (c) => {
    const q = c.req.valid("query");
    const caller = callerOf(c);
    const parsed = parseSearchQuery(q.q, q.tz);
    const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    let ids: string[];
    if (q.conversationId && parsed.in.length === 0) ids = [q.conversationId];
    else {
      let list = (await deps.actors.inbox(caller.userId).list(caller)).slice(0, MAX_CONVERSATIONS);
      if (q.conversationId) list = list.filter((s) => s.id === q.conversationId);
      if (parsed.in.length) list = list.filter((s) => parsed.in.some((t) => titleOf(s, caller.userId).includes(t)));
      ids = list.map((s) => s.id);
    }
    let authors: string[] | undefined;
    if (parsed.from.length) {
      const users = await Promise.all(parsed.from.map((name) => deps.accounts.findByUsername(name)));
      const unknown = parsed.from.filter((_, i) => !users[i]);
      if (unknown.length) throw new NexusError("bad_request", `from: no user named ${unknown.join(", ")}`);
      authors = users.map((u) => u!.id);
    }
    const base: MessageSearch = { words: parsed.words, authors, after: parsed.after, before: parsed.before, hasAttachment: parsed.hasAttachment };
    const unavailable: string[] = [];
    const perConversation = await Promise.all(
      ids.map(async (id) => {
        // Strictly below the cursor in (ts, conversation id, seq) order, as (ts, seq) within this conversation.
        const below = !cursor ? undefined : { ts: cursor.ts, seq: id === cursor.c ? cursor.s : id < cursor.c ? Number.MAX_SAFE_INTEGER : 0 };
        try {
          const events = await deps.actors.conversation(id).search(caller, { ...base, below }, q.limit + 1);
          return events.map((event): Hit => ({ conversationId: id, event }));
        } catch (e) {
          if (ids.length === 1 || !isNexusError(e) || (e.code !== "unavailable" && e.code !== "storage_unavailable")) throw e;
          unavailable.push(id);
          return [];
        }
      }),
    );
    const all = perConversation.flat().sort(newerFirst);
    const hits = all.slice(0, q.limit);
    const last = hits[hits.length - 1];
    const next = all.length > q.limit && last ? encodeCursor({ ts: last.event.ts, c: last.conversationId, s: last.event.seq }) : undefined;
    return c.json({ hits, terms: parsed.words, ...(next ? { next } : {}), ...(unavailable.length ? { unavailable } : {}) } satisfies
      { hits: Hit[]; terms: string[]; next?: string; unavailable?: string[] });
  });
  return r;
}
