/**
 * Threads (protocol/threads.ts) and search filters (protocol/searchQuery.ts).
 *
 * Threads: a reply is a `message` event with `threadRoot` in the one log (socket or REST; resends
 * are recognised; a resume replays it); the root's `thread` summary counts replies; GET …/threads/:seq
 * pages them; the main history and unread counts leave replies out; the root's author and repliers
 * follow, and a follower's inbox row counts unread replies (`threads`) until they read the thread or
 * unfollow. A root that is missing, not a message, or itself a reply is refused and logs nothing.
 *
 * Search: from:, in:, before:/after:, has:attachment combined with words, bad filters refused with
 * 400, and pages past the first with `next`.
 */
import { describe, expect, test } from "bun:test";
import { newClientId } from "../support/client.ts";
import { eventually, useTarget } from "./harness.ts";
import { LimitEnv, type TargetFactory } from "./target.ts";

const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

export function threadTests(factory: TargetFactory): void {
  describe("threads", () => {
    const ctx = useTarget(factory, { [LimitEnv.sendsPerSecond]: "1000" });
    const rowOf = async (u: { must(m: string, p: string): Promise<any> }, id: string) =>
      (await u.must("GET", "/v1/conversations")).conversations.find((c: any) => c.id === id);

    test("replies are log events under their root; the thread page, history, resume, resends and follower counts agree", async () => {
      const [alice, bob, carol] = await ctx.users(3, "thr");
      const conv = await ctx.group(alice, [bob, carol]);
      const { sock: sa, welcome } = await alice.join(conv.id);
      const { sock: sb } = await bob.join(conv.id);
      const root = await sa.sendMessage("where do we eat?");
      const other = await sa.sendMessage("unrelated");

      const replyId = newClientId("t");
      const r1 = await sb.sendMessage("the noodle place", replyId, { threadRoot: root.seq });
      expect(r1).toMatchObject({ t: "ack" });
      const seen = await sa.next((f) => f.t === "event" && f.e.seq === r1.seq);
      expect(seen.e).toMatchObject({ kind: "message", threadRoot: root.seq, author: bob.id, text: "the noodle place" });
      // A resend is the same reply (idempotency covers thread replies).
      const again = await sb.sendMessage("the noodle place", replyId, { threadRoot: root.seq });
      expect([again.t, again.seq, again.duplicate]).toEqual(["ack", r1.seq, true]);
      const r2 = await carol.api("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("t"), text: "noodles +1", threadRoot: root.seq });
      expect(r2.status).toBe(201);

      const page = await alice.must("GET", `/v1/conversations/${conv.id}/threads/${root.seq}`);
      expect(page.root).toMatchObject({ seq: root.seq, text: "where do we eat?", thread: { replies: 2, lastSeq: r2.body.seq, lastTs: r2.body.ts } });
      expect(page.replies.map((e: any) => [e.seq, e.text, e.threadRoot])).toEqual([[r1.seq, "the noodle place", root.seq], [r2.body.seq, "noodles +1", root.seq]]);
      expect(page.followers.sort()).toEqual([alice.id, bob.id, carol.id].sort());
      expect([page.following, page.hasMore]).toEqual([true, false]);
      const paged = await alice.must("GET", `/v1/conversations/${conv.id}/threads/${root.seq}?after=${r1.seq}&limit=1`);
      expect([paged.replies.map((e: any) => e.seq), paged.hasMore]).toEqual([[r2.body.seq], false]);

      // The main timeline: the root with its summary, no replies; a resume replays them in order.
      const history = await bob.fullHistory(conv.id);
      expect(history.filter((e) => e.kind === "message").map((e) => e.seq)).toEqual([root.seq, other.seq]);
      expect(history.find((e) => e.seq === root.seq).thread).toMatchObject({ replies: 2, lastSeq: r2.body.seq });
      const { welcome: resumed } = await carol.join(conv.id, { after: other.seq, epoch: welcome.conversation.epoch });
      expect(resumed.events.map((e: any) => [e.seq, e.threadRoot])).toEqual([[r1.seq, root.seq], [r2.body.seq, root.seq]]);

      // Unread: replies are not main-timeline unread; followers count replies by others they have not read.
      expect(await eventually(async () => (await rowOf(alice, conv.id))?.threads === 2)).toBe(true);
      expect(await rowOf(alice, conv.id)).toMatchObject({ unread: 0, lastSeq: r2.body.seq });
      expect(await eventually(async () => (await rowOf(bob, conv.id))?.threads === 1)).toBe(true); // carol's, after his own
      expect((await rowOf(bob, conv.id)).unread).toBe(2); // alice's two main-timeline messages
      expect((await rowOf(carol, conv.id)).threads).toBe(0);
      expect((await alice.api("POST", `/v1/conversations/${conv.id}/threads/${root.seq}/read`, { seq: r1.seq })).status).toBe(200);
      expect(await eventually(async () => (await rowOf(alice, conv.id)).threads === 1)).toBe(true);
      expect((await alice.api("POST", `/v1/conversations/${conv.id}/threads/${root.seq}/read`, { seq: r2.body.seq })).status).toBe(200);
      expect(await eventually(async () => (await rowOf(alice, conv.id)).threads === 0)).toBe(true);

      // Bob unfollows: a new reply counts for carol, not for him; following again starts from there.
      expect((await bob.api("PUT", `/v1/conversations/${conv.id}/threads/${root.seq}/follow`, { on: false })).status).toBe(200);
      expect(await eventually(async () => (await rowOf(bob, conv.id)).threads === 0)).toBe(true);
      const r3 = await sa.sendMessage("noodles it is", newClientId("t"), { threadRoot: root.seq });
      expect(await eventually(async () => (await rowOf(carol, conv.id)).threads === 1)).toBe(true);
      expect((await bob.must("GET", `/v1/conversations/${conv.id}/threads/${root.seq}`)).following).toBe(false);
      expect((await rowOf(bob, conv.id)).threads).toBe(0);
      // A deleted reply no longer counts.
      const del = newClientId("d");
      sa.send({ t: "delete", clientId: del, target: r3.seq });
      expect((await sa.replyTo(del)).t).toBe("ack");
      expect(await eventually(async () => (await rowOf(carol, conv.id)).threads === 0)).toBe(true);
      const afterDelete = await carol.must("GET", `/v1/conversations/${conv.id}/threads/${root.seq}`);
      expect(afterDelete.replies.at(-1)).toMatchObject({ seq: r3.seq, deleted: true, threadRoot: root.seq });
      expect((await carol.fullHistory(conv.id)).some((e) => e.seq === r3.seq)).toBe(false);

      // Search covers replies.
      const found = await carol.must("GET", `/v1/search?q=${encodeURIComponent("noodle")}&conversationId=${conv.id}`);
      expect(found.hits.map((h: any) => h.event.seq).sort()).toEqual([r1.seq, r2.body.seq].sort());
    });

    test("refused roots (missing, not a message, a reply) and strangers change nothing; a mention in a reply makes the member follow", async () => {
      const [alice, bob, dave] = await ctx.users(3, "thrx");
      const conv = await ctx.group(alice, [bob]);
      const { sock: sb } = await bob.join(conv.id);
      const root = await sb.sendMessage("root");
      const reply = await sb.sendMessage("reply", newClientId("t"), { threadRoot: root.seq });
      expect(reply.t).toBe("ack");
      const before = (await alice.must("GET", `/v1/conversations/${conv.id}`)).lastSeq;
      for (const threadRoot of [9999, 1, reply.seq]) {
        const r = await sb.sendMessage("nope", newClientId("x"), { threadRoot });
        expect({ threadRoot, t: r.t, code: r.code }).toEqual({ threadRoot, t: "error", code: "bad_request" });
      }
      const rest = await alice.api("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("x"), text: "nope", threadRoot: 0 });
      expect(rest.status).toBe(400);
      expect((await alice.must("GET", `/v1/conversations/${conv.id}`)).lastSeq).toBe(before);
      expect((await dave.api("GET", `/v1/conversations/${conv.id}/threads/${root.seq}`)).status).toBe(403);
      expect((await dave.api("PUT", `/v1/conversations/${conv.id}/threads/${root.seq}/follow`, { on: true })).status).toBe(403);
      expect((await alice.api("GET", `/v1/conversations/${conv.id}/threads/${reply.seq}`)).status).toBe(404);
      expect((await alice.api("PUT", `/v1/conversations/${conv.id}/threads/1/follow`, { on: true })).status).toBe(404);
      expect((await alice.api("PUT", `/v1/conversations/${conv.id}/threads/${root.seq}/follow`, { on: "yes" })).status).toBe(400);

      // A member mentioned in a reply follows the thread: it counts in their threads, not their mentions.
      const mentioned = await sb.sendMessage(`@${alice.username} thoughts?`, newClientId("t"), { threadRoot: root.seq, mentions: [alice.id] });
      expect(mentioned.t).toBe("ack");
      expect(await eventually(async () => (await rowOf(alice, conv.id))?.threads === 1)).toBe(true);
      expect(await rowOf(alice, conv.id)).toMatchObject({ mentions: 0, unread: 1 }); // bob's root; replies are not main-timeline unread
      expect((await alice.must("GET", `/v1/conversations/${conv.id}/threads/${root.seq}`)).following).toBe(true);
    });
  });

  describe("search filters and paging", () => {
    const ctx = useTarget(factory, { [LimitEnv.sendsPerSecond]: "1000" });

    test("from:, in:, before:/after:, has:attachment with words; bad filters are 400; pages with next", async () => {
      const [alice, bob, carol] = await ctx.users(3, "srch");
      const team = await ctx.group(alice, [bob], "Kiwi Planning");
      const dm = await alice.createDirect(carol);
      const { sock: sa } = await alice.join(team.id);
      const { sock: sb } = await bob.join(team.id);
      const { sock: sd } = await alice.join(dm.id);
      const a1 = await sa.sendMessage("kiwi harvest from alice");
      const b1 = await sb.sendMessage("kiwi harvest from bob");
      const d1 = await sd.sendMessage("kiwi harvest in the direct chat");
      const up = await ctx.nx.request("POST", `/v1/attachments?conversationId=${team.id}&name=kiwi.txt`, new TextEncoder().encode("k"), bob.token, { "content-type": "text/plain" });
      expect(up.status).toBe(201);
      const b2 = await sb.sendMessage("kiwi photo", newClientId("m"), { attachments: [up.body.id] });
      expect(b2.t).toBe("ack");
      const search = async (q: string, extra = "") => alice.api("GET", `/v1/search?q=${encodeURIComponent(q)}${extra}`);
      const seqs = async (q: string) => {
        const r = await search(q);
        expect({ q, status: r.status }).toEqual({ q, status: 200 });
        // Sorted: messages sent within one millisecond are ordered by conversation id (the paging test checks order).
        return r.body.hits.map((h: any) => `${h.conversationId === dm.id ? "d" : "t"}${h.event.seq}`).sort();
      };
      const sorted = (...xs: string[]) => xs.sort();
      expect(await seqs("kiwi")).toEqual(sorted(`t${b2.seq}`, `d${d1.seq}`, `t${b1.seq}`, `t${a1.seq}`));
      expect((await search("kiwi")).body.terms).toEqual(["kiwi"]);
      expect(await seqs(`kiwi from:${bob.username}`)).toEqual(sorted(`t${b2.seq}`, `t${b1.seq}`));
      expect(await seqs(`from:${bob.username} from:${alice.username} harvest`)).toEqual(sorted(`d${d1.seq}`, `t${b1.seq}`, `t${a1.seq}`));
      expect(await seqs(`harvest in:kiwi`)).toEqual(sorted(`t${b1.seq}`, `t${a1.seq}`));
      expect(await seqs(`harvest in:"kiwi planning"`)).toEqual(sorted(`t${b1.seq}`, `t${a1.seq}`));
      expect(await seqs(`harvest in:${carol.username}`)).toEqual([`d${d1.seq}`]); // a direct chat by the other's name
      expect(await seqs("has:attachment")).toEqual([`t${b2.seq}`]);
      expect(await seqs(`kiwi after:${day(-2)} before:${day(2)}`)).toHaveLength(4);
      expect(await seqs(`kiwi before:${day(-1)}`)).toEqual([]);
      expect(await seqs(`kiwi after:${day(1)}`)).toEqual([]);
      for (const q of ["before:yesterday", "after:2026-02-31", "has:link", "from:", "from:nobody_by_that_name"]) {
        const r = await search(q);
        expect({ q, status: r.status, code: r.body.error?.code }).toEqual({ q, status: 400, code: "bad_request" });
      }
      expect((await search("kiwi", "&cursor=not-a-cursor")).status).toBe(400);

      // Paging: 35 matches in two conversations, 30 then 5, no repeats, newest first throughout.
      for (let i = 0; i < 20; i++) await sa.sendMessage(`mango ${i}`);
      for (let i = 0; i < 15; i++) await sd.sendMessage(`mango d${i}`);
      const first = (await search("mango", "&limit=30")).body;
      expect(first.hits).toHaveLength(30);
      expect(typeof first.next).toBe("string");
      const second = (await search("mango", `&limit=30&cursor=${first.next}`)).body;
      expect(second.hits).toHaveLength(5);
      expect(second.next).toBeUndefined();
      const all = [...first.hits, ...second.hits];
      expect(new Set(all.map((h: any) => `${h.conversationId}#${h.event.seq}`)).size).toBe(35);
      for (let i = 1; i < all.length; i++) expect(all[i - 1].event.ts).toBeGreaterThanOrEqual(all[i].event.ts);
    });
  });
}
