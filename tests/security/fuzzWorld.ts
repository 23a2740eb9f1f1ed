/**
 * The fixture the fuzz suite writes into, what it has to read back, and the invariants every answer
 * must keep. A sandbox group (alice admin, bob and carol members), a direct chat alice–bob for call
 * frames, dave who is in nothing, a throwaway `victim` the admin routes may lock.
 */
import { expect } from "bun:test";
import { ErrorCodes } from "../../protocol/errors.ts";
import type { ApiResponse, Nexus, Session } from "../support/client.ts";

export interface World {
  alice: Session;
  bob: Session;
  carol: Session;
  dave: Session;
  victim: Session;
  root: Session;
  group: string;
  direct: string;
  /** An attachment uploaded to the sandbox group. */
  attachmentId: string;
  /** What an accepted write promised; checked at once and again after a restart. */
  expected: Expected;
}

export interface Expected {
  /** conversation → seq → the message as it must read back. */
  messages: Map<string, Map<number, { text?: string; deleted?: boolean; attachmentNames?: string[] }>>;
  /** conversation → its title as last acknowledged. */
  titles: Map<string, string>;
  /** Accounts registered by the fuzzer: they must still sign in. */
  accounts: { username: string; password: string; id: string }[];
}

export async function makeWorld(nx: Nexus, root: Session): Promise<World> {
  const [alice, bob, carol, dave, victim] = await Promise.all(["alice", "bob", "carol", "dave", "victim"].map((n) => nx.register(`fz${n}`)));
  const g = await alice!.createGroup("fuzz sandbox", [bob!, carol!]);
  const d = await alice!.createDirect(bob!);
  const up = await nx.request("POST", `/v1/attachments?conversationId=${g.id}&name=seed.txt`, new TextEncoder().encode("seed"), alice!.token, {
    "content-type": "text/plain",
  });
  expect(up.status).toBe(201);
  const expected: Expected = { messages: new Map(), titles: new Map([[g.id, g.title]]), accounts: [] };
  return { alice: alice!, bob: bob!, carol: carol!, dave: dave!, victim: victim!, root, group: g.id, direct: d.id, attachmentId: up.body.id, expected };
}

export function expectMessage(w: World, conv: string, seq: number, m: { text?: string; deleted?: boolean; attachmentNames?: string[] }): void {
  let byConv = w.expected.messages.get(conv);
  if (!byConv) w.expected.messages.set(conv, (byConv = new Map()));
  byConv.set(seq, { ...byConv.get(seq), ...m });
}

/**
 * The state a rejected request must not change: the sandbox as its admin sees it (info and the
 * newest 200 events, materialized: a refused edit must not touch the text either), and the accounts.
 * Not the conversation list: it is derived from these and pushed up to 100 ms after a commit
 * (docs/protocol.md), so an earlier accepted write could still be arriving in it.
 */
export async function snapshot(w: World): Promise<unknown> {
  const [info, page, users] = await Promise.all([
    w.alice.api("GET", `/v1/conversations/${w.group}`),
    w.alice.api("GET", `/v1/conversations/${w.group}/messages?limit=200`),
    w.root.api("GET", "/v1/admin/users"),
  ]);
  expect(info.status).toBe(200);
  expect(page.status).toBe(200);
  expect(users.status).toBe(200);
  // Read cursors are written behind the ack (docs/protocol.md), so they are not part of it.
  const { reads: _reads, ...conv } = info.body;
  conv.members = [...conv.members].sort((a: any, b: any) => a.userId.localeCompare(b.userId));
  const accounts = users.body.users.map((u: any) => `${u.id}:${u.username}:${u.role}:${u.lockedUntil !== null}`).sort();
  return { conv, events: page.body.events, accounts };
}

/** No 5xx; a refusal is a 4xx with a known code whose status matches. */
export function expectCleanAnswer(res: ApiResponse, what: string, urlLength = 0): void {
  const where = `${what} → ${res.status} ${res.text.slice(0, 200)}`;
  // A URL past the HTTP server's own limit never reaches the app: its 414/431 is the clear answer.
  if (urlLength > 8000 && (res.status === 414 || res.status === 431)) return;
  expect(res.status, where).toBeLessThan(500);
  if (res.status >= 400) {
    expect(typeof res.body?.error?.code, where).toBe("string");
    const code = res.body.error.code as keyof typeof ErrorCodes;
    expect(Object.keys(ErrorCodes), where).toContain(code);
    expect(ErrorCodes[code] as number, where).toBe(res.status);
  }
}

/** An error frame is clean: a known code, never `internal`. */
export function expectCleanErrorFrame(f: Record<string, unknown>, what: string): void {
  const where = `${what} → ${JSON.stringify(f).slice(0, 200)}`;
  expect(f.code, where).not.toBe("internal");
  expect(Object.keys(ErrorCodes), where).toContain(f.code as string);
  expect(typeof f.message, where).toBe("string");
}

/** One event of a conversation as `who` reads it through REST history. */
export async function eventAt(who: Session, conv: string, seq: number): Promise<any> {
  const page = await who.must("GET", `/v1/conversations/${conv}/messages?before=${seq + 1}&limit=1`);
  return page.events.find((e: any) => e.seq === seq);
}

/** Everything the fuzzer saw acknowledged reads back exactly (`who` is a member of every conversation). */
export async function expectAllReadBack(w: World, who: Session, nx: Nexus): Promise<void> {
  for (const [conv, bySeq] of w.expected.messages) {
    const events = new Map((await who.fullHistory(conv)).map((e) => [e.seq, e]));
    for (const [seq, m] of bySeq) {
      const e = events.get(seq);
      expect(e, `${conv}#${seq} missing`).toBeDefined();
      if (m.deleted) {
        expect(e.deleted, `${conv}#${seq}`).toBe(true);
        continue;
      }
      if (m.text !== undefined) expect(e.text, `${conv}#${seq} text`).toBe(m.text);
      if (m.attachmentNames) expect(e.attachments?.map((a: any) => a.name), `${conv}#${seq} attachments`).toEqual(m.attachmentNames);
    }
  }
  for (const [conv, title] of w.expected.titles) {
    const info = await who.api("GET", `/v1/conversations/${conv}`);
    // Groups the fuzzer created have alice as a member only when she created them; root reads the rest.
    if (info.status === 200) expect(info.body.title, `${conv} title`).toBe(title);
  }
  for (const a of w.expected.accounts) {
    const res = await nx.request("POST", "/v1/auth/login", { username: a.username, password: a.password });
    expect(res.status, `login ${JSON.stringify(a.username)}`).toBe(200);
    expect(res.body.user.id).toBe(a.id);
  }
}
