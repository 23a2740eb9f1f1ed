/**
 * Guarantee 4 — gap-free resume. A client that reconnects with `after=s&epoch=E` is told
 * `recovered: true` and given exactly s+1..lastSeq, then live events continue with no gap and no
 * duplicate at the seam, even while others keep sending during the reconnect. With a wrong epoch,
 * or more missed than the replay cap, it is told `recovered: false` and given the newest page;
 * history paging (REST and socket) then walks back through everything.
 */
import { describe, expect, test } from "bun:test";
import { newClientId, type Session, type TestSocket } from "../support/client.ts";
import { expectSeqRange, useTarget, type Ctx } from "./harness.ts";
import { LimitEnv, type TargetFactory } from "./target.ts";

const CAP = 20;

async function sendN(sock: TestSocket, n: number, label: string): Promise<number[]> {
  const ids = Array.from({ length: n }, () => newClientId(label));
  ids.forEach((id, i) => sock.send({ t: "send", clientId: id, text: `${label} ${i}` }));
  const acks = await Promise.all(ids.map((id) => sock.replyTo(id, 20_000)));
  for (const a of acks) expect(a.t).toBe("ack");
  return acks.map((a) => a.seq);
}

/** A group where `reader` has seen everything up to `lastSeen` and then disconnected. */
async function readerLeaves(ctx: Ctx): Promise<{ writer: Session; reader: Session; conv: any; ws: TestSocket; lastSeen: number; epoch: string }> {
  const [writer, reader] = await ctx.users(2, "res");
  const conv = await ctx.group(writer, [reader]);
  const { sock: ws } = await writer.join(conv.id);
  const { sock: rs, welcome } = await reader.join(conv.id);
  const seqs = await sendN(ws, 3, "pre");
  await rs.next((f) => f.t === "event" && f.e.seq === seqs[2]);
  await rs.close();
  return { writer, reader, conv, ws, lastSeen: seqs[2], epoch: welcome.conversation.epoch };
}

export function resumeTests(factory: TargetFactory): void {
  describe("gap-free resume", () => {
    const ctx = useTarget(factory, { [LimitEnv.replayCap]: String(CAP), [LimitEnv.sendsPerSecond]: "1000" });

    test("reconnect with after+epoch replays exactly the missed events, then live ones with no gap or duplicate at the seam", async () => {
      const { reader, conv, ws, lastSeen, epoch } = await readerLeaves(ctx);
      const missed = await sendN(ws, 5, "missed");
      expectSeqRange(missed, lastSeen + 1, lastSeen + 5);
      // Keep sending while the reader reconnects so live events race the replay.
      const liveIds = Array.from({ length: 10 }, () => newClientId("live"));
      const liveAcks = (async () => {
        for (const id of liveIds) {
          ws.send({ t: "send", clientId: id, text: "live" });
          await Bun.sleep(5);
        }
        return Promise.all(liveIds.map((id) => ws.replyTo(id, 20_000)));
      })();
      const { sock: rs, welcome } = await reader.join(conv.id, { after: lastSeen, epoch });
      expect(welcome.recovered).toBe(true);
      expect(welcome.conversation.epoch).toBe(epoch);
      const replayed = welcome.events.map((e: any) => e.seq);
      expectSeqRange(replayed, lastSeen + 1, welcome.conversation.lastSeq);
      expect(replayed.length).toBeGreaterThanOrEqual(5);
      const finalSeq = Math.max(...(await liveAcks).map((a) => a.seq));
      expect(finalSeq).toBe(lastSeen + 15);
      const lastReplayed = welcome.conversation.lastSeq;
      const live = await rs.take("event", finalSeq - lastReplayed, 20_000);
      expectSeqRange([...replayed, ...live.map((f) => f.e.seq)], lastSeen + 1, finalSeq);
    });

    test("nothing missed: recovered with no events", async () => {
      const { reader, conv, lastSeen, epoch } = await readerLeaves(ctx);
      const { welcome } = await reader.join(conv.id, { after: lastSeen, epoch });
      expect(welcome.recovered).toBe(true);
      expect(welcome.events).toEqual([]);
      expect(welcome.conversation.lastSeq).toBe(lastSeen);
    });

    test("exactly the replay cap missed: still recovered", async () => {
      const { reader, conv, ws, lastSeen, epoch } = await readerLeaves(ctx);
      await sendN(ws, CAP, "cap");
      const { welcome } = await reader.join(conv.id, { after: lastSeen, epoch });
      expect(welcome.recovered).toBe(true);
      expectSeqRange(welcome.events.map((e: any) => e.seq), lastSeen + 1, lastSeen + CAP);
    });

    test("more than the replay cap missed: recovered false with the newest page", async () => {
      const { reader, conv, ws, lastSeen, epoch } = await readerLeaves(ctx);
      await sendN(ws, CAP + 5, "over");
      const { welcome } = await reader.join(conv.id, { after: lastSeen, epoch });
      expect(welcome.recovered).toBe(false);
      const seqs = welcome.events.map((e: any) => e.seq);
      expect(seqs.length).toBeGreaterThan(0);
      expectSeqRange(seqs, seqs[0], welcome.conversation.lastSeq);
      expect(welcome.hasMore).toBe(seqs[0] > 1);
    });

    test("wrong epoch: recovered false with the newest page", async () => {
      const { reader, conv, ws, lastSeen } = await readerLeaves(ctx);
      await sendN(ws, 2, "ep");
      const { welcome } = await reader.join(conv.id, { after: lastSeen, epoch: "not-the-epoch" });
      expect(welcome.recovered).toBe(false);
      const seqs = welcome.events.map((e: any) => e.seq);
      expect(seqs[seqs.length - 1]).toBe(welcome.conversation.lastSeq);
      expectSeqRange(seqs, seqs[0], welcome.conversation.lastSeq);
    });

    test("a cursor beyond the end (the client saw seqs the server does not have): recovered false", async () => {
      const { reader, conv, lastSeen, epoch } = await readerLeaves(ctx);
      const { welcome } = await reader.join(conv.id, { after: lastSeen + 50, epoch });
      expect(welcome.recovered).toBe(false);
      expect(welcome.conversation.lastSeq).toBe(lastSeen);
      expect(welcome.events[welcome.events.length - 1].seq).toBe(lastSeen);
    });

    test("history paging over REST and over the socket walks back through every event once", async () => {
      const [alice] = await ctx.users(1, "page");
      const conv = await ctx.group(alice, []);
      const { sock } = await alice.join(conv.id);
      await sendN(sock, 45, "pg");
      const info = await alice.must("GET", `/v1/conversations/${conv.id}`);
      const last = info.lastSeq as number;
      // REST, pages of 7, newest first; each page ascending.
      const restSeqs: number[] = [];
      let before: number | undefined;
      let pages = 0;
      for (;;) {
        const q = before === undefined ? "limit=7" : `limit=7&before=${before}`;
        const page = await alice.must("GET", `/v1/conversations/${conv.id}/messages?${q}`);
        pages++;
        const seqs = page.events.map((e: any) => e.seq);
        expect(seqs.length).toBeLessThanOrEqual(7);
        if (seqs.length) expectSeqRange(seqs, seqs[0], seqs[seqs.length - 1]);
        if (before !== undefined && seqs.length) expect(seqs[seqs.length - 1]).toBe(before - 1);
        restSeqs.unshift(...seqs);
        if (!page.hasMore) break;
        before = seqs[0];
        expect(pages).toBeLessThan(50);
      }
      expectSeqRange(restSeqs, 1, last);
      // Socket history frames.
      const sockSeqs: number[] = [];
      let cursor: number | undefined;
      for (;;) {
        sock.send(cursor === undefined ? { t: "history", limit: 10 } : { t: "history", before: cursor, limit: 10 });
        const page = await sock.next("history");
        expect(page.before).toBe(cursor ?? null);
        const seqs = page.events.map((e: any) => e.seq);
        sockSeqs.unshift(...seqs);
        if (!page.hasMore) break;
        cursor = seqs[0];
      }
      expectSeqRange(sockSeqs, 1, last);
    });
  });
}
