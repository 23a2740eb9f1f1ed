/**
 * Guarantee 7 — limits and backpressure. Bad or oversize input is answered with an error (or, for
 * a frame over the size limit or repeated abuse, a close) and stores nothing; sending faster than
 * NEXUS_SENDS_PER_SECOND is refused with `rate_limited`; a client that stops reading is dropped by
 * the server instead of being buffered without bound (and is never silently skipped: what it did
 * receive is gap-free).
 */
import { describe, expect, test } from "bun:test";
import { newClientId, type TestSocket } from "../support/client.ts";
import { openRawWebSocket } from "../support/rawws.ts";
import { useTarget } from "./harness.ts";
import { LimitEnv, type TargetFactory } from "./target.ts";

const MAX_TEXT = 1000;
const MAX_FRAME = 8192;
/** PENDING_UPLOAD_BYTES of the input-validation target: uploaded bytes not yet sent, per user. */
const PENDING_CAP = 3000;

/** The next stored seq is `expected` (proves nothing was stored by what came before). */
async function expectNextSeq(sock: TestSocket, expected: number): Promise<void> {
  const ack = await sock.sendMessage("sentinel");
  expect(ack.t).toBe("ack");
  expect(ack.seq).toBe(expected);
}

export function limitsTests(factory: TargetFactory): void {
  describe("limits: input validation", () => {
    const ctx = useTarget(factory, {
      [LimitEnv.maxTextLength]: String(MAX_TEXT),
      [LimitEnv.maxFrameBytes]: String(MAX_FRAME),
      [LimitEnv.sendsPerSecond]: "1000",
      PENDING_UPLOAD_BYTES: String(PENDING_CAP),
    });

    async function setup() {
      const [alice, bob] = await ctx.users(2, "lim");
      const conv = await ctx.group(alice, [bob]);
      const { sock, welcome } = await alice.join(conv.id);
      return { alice, bob, conv, sock, last: welcome.conversation.lastSeq as number };
    }

    test("text at the limit is stored; one character over is refused with an error frame and stored nowhere", async () => {
      const { alice, conv, sock, last } = await setup();
      expect((await sock.sendMessage("a".repeat(MAX_TEXT))).t).toBe("ack");
      const clientId = newClientId("big");
      const err = await sock.sendMessage("a".repeat(MAX_TEXT + 1), clientId);
      expect(err.t).toBe("error");
      expect(["payload_too_large", "bad_request"]).toContain(err.code);
      const rest = await alice.api("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("bigr"), text: "b".repeat(MAX_TEXT + 1) });
      expect([400, 413]).toContain(rest.status);
      expect(["payload_too_large", "bad_request"]).toContain(rest.body.error.code);
      await expectNextSeq(sock, last + 2);
      const history = await alice.fullHistory(conv.id);
      expect(history.some((e) => e.clientId === clientId)).toBe(false);
    });

    test("an oversize REST body is refused with 413 and stores nothing", async () => {
      const { alice, conv, sock, last } = await setup();
      const res = await alice.api("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("body"), text: "z".repeat(2_000_000) });
      expect([400, 413]).toContain(res.status);
      expect(["payload_too_large", "bad_request"]).toContain(res.body.error.code);
      await expectNextSeq(sock, last + 1);
    });

    test("a frame over the byte limit is refused (error frame or close) and nothing is stored", async () => {
      const { alice, sock, conv, last } = await setup();
      sock.send({ t: "send", clientId: newClientId("huge"), text: "h".repeat(MAX_FRAME * 2) });
      const outcome = await Promise.race([sock.next("error").then((f) => ({ error: f })), sock.closed.then((c) => ({ closed: c }))]);
      if ("error" in outcome) {
        expect(["payload_too_large", "bad_request"]).toContain(outcome.error.code);
        await expectNextSeq(sock, last + 1);
      } else {
        expect([1009, 1008, 4009]).toContain(outcome.closed.code);
        const { sock: again } = await alice.join(conv.id);
        await expectNextSeq(again, last + 1);
      }
    });

    test("malformed JSON, unknown frame types and invalid fields get an error frame; the socket stays usable", async () => {
      const { sock, last } = await setup();
      sock.sendRaw("{this is not json");
      expect((await sock.next("error")).code).toBe("bad_request");
      sock.send({ t: "explode", now: true });
      expect((await sock.next("error")).code).toBe("bad_request");
      sock.send({ t: "send", clientId: "x", text: "clientId too short" });
      expect((await sock.next("error")).code).toBe("bad_request");
      sock.send({ t: "send", clientId: newClientId("n"), text: 42 });
      expect((await sock.next("error")).code).toBe("bad_request");
      sock.send({ t: "ping" });
      expect((await sock.next("pong")).t).toBe("pong");
      await expectNextSeq(sock, last + 1);
    });

    test("edits, reactions and replies to events that do not exist are refused and store nothing", async () => {
      const { sock, last } = await setup();
      for (const frame of [
        { t: "edit", clientId: newClientId("g"), target: 99_999, text: "ghost" },
        { t: "react", clientId: newClientId("g"), target: 99_999, emoji: "👍", on: true },
        { t: "delete", clientId: newClientId("g"), target: 99_999 },
      ]) {
        sock.send(frame);
        const reply = await sock.replyTo(frame.clientId);
        expect(reply.t).toBe("error");
        expect(["not_found", "bad_request"]).toContain(reply.code);
      }
      await expectNextSeq(sock, last + 1);
    });

    test("repeated abuse: the server answers or closes with a policy code, and keeps serving others", async () => {
      const { bob, conv, sock, last } = await setup();
      for (let i = 0; i < 100; i++) sock.sendRaw(`garbage ${i}`);
      sock.send({ t: "ping" });
      const outcome = await Promise.race([sock.next("pong", 20_000).then(() => "pong" as const), sock.closed.then((c) => c.code)]);
      if (outcome !== "pong") expect([1008, 4009]).toContain(outcome);
      const { sock: sb } = await bob.join(conv.id);
      await expectNextSeq(sb, last + 1);
      expect((await ctx.nx.request("GET", "/health")).status).toBe(200);
    });

    // Issue #18 item 14: the inbox socket kept answering invalid frames forever.
    test("an inbox socket tolerates 20 invalid frames and is closed (4009) on the 21st, like a conversation socket", async () => {
      const [u] = await ctx.users(1, "inboxbad");
      const sock = await u.openInbox();
      await sock.next("inbox");
      for (let i = 0; i < 20; i++) sock.sendRaw(i % 2 ? `garbage ${i}` : JSON.stringify({ t: "presence", status: "nonsense" }));
      sock.send({ t: "ping" });
      await sock.next("pong");
      expect(sock.all("error").map((f) => f.code)).toEqual(Array(20).fill("bad_request"));
      sock.sendRaw("one too many");
      expect((await sock.closed).code).toBe(4009);
    });

    // Issue #18 item 9 leftover: unsent uploads were only limited per hour, so they could fill the
    // store before the sweep ran. Their bytes are capped per user, across conversations.
    test("a user's uploads not yet sent are capped (429); sending one frees its bytes; others are not affected", async () => {
      const [alice, bob] = await ctx.users(2, "pending");
      const [c1, c2] = [await ctx.group(alice, [bob]), await ctx.group(alice, [bob])];
      const upload = (who: typeof alice, convId: string) => ctx.nx.request("POST", `/v1/attachments?conversationId=${convId}&name=p.bin`,
        new Uint8Array(2000).fill(7), who.token, { "content-type": "application/octet-stream" });
      const first = await upload(alice, c1.id);
      expect(first.status).toBe(201);
      const over = await upload(alice, c2.id); // another conversation: the cap is the user's
      expect(over.status).toBe(429);
      expect(over.body.error.code).toBe("rate_limited");
      expect(over.body.error.message).toMatch(/not sent yet/);
      expect(over.body.error.details).toMatchObject({ pendingBytes: 2000, maxPendingBytes: PENDING_CAP });
      expect(over.body.error.details.retryAfter).toBeGreaterThan(0);
      expect((await upload(bob, c2.id)).status).toBe(201); // bob has his own
      await alice.must("POST", `/v1/conversations/${c1.id}/messages`, { clientId: newClientId("pend"), text: "", attachments: [first.body.id] }, 201);
      // The conversation tells alice's inbox after the commit: her next upload fits again.
      let again = await upload(alice, c2.id);
      for (const deadline = Date.now() + 10_000; again.status === 429 && Date.now() < deadline; again = await upload(alice, c2.id)) await Bun.sleep(100);
      expect(again.status).toBe(201);
    });
  });

  describe("limits: send rate", () => {
    const ctx = useTarget(factory, { [LimitEnv.sendsPerSecond]: "2" });

    test("sends over NEXUS_SENDS_PER_SECOND are refused with rate_limited and not stored; acked ones are", async () => {
      const [alice, bob] = await ctx.users(2, "rate");
      const conv = await ctx.group(alice, [bob]);
      const { sock } = await alice.join(conv.id);
      const ids = Array.from({ length: 20 }, () => newClientId("r"));
      ids.forEach((id, i) => sock.send({ t: "send", clientId: id, text: `burst ${i}` }));
      const replies = await Promise.all(ids.map((id) => sock.replyTo(id)));
      const limited = replies.filter((r) => r.t === "error");
      const acked = replies.filter((r) => r.t === "ack");
      expect(limited.length).toBeGreaterThan(0);
      for (const r of limited) expect(r.code).toBe("rate_limited");
      expect(acked.length).toBeGreaterThan(0);
      const history = await alice.fullHistory(conv.id);
      const stored = new Set(history.map((e) => e.clientId));
      for (const r of acked) expect(stored.has(r.clientId)).toBe(true);
      for (const r of limited) expect(stored.has(r.clientId)).toBe(false);
      // The same limit guards REST sends.
      const rest = await Promise.all(
        Array.from({ length: 20 }, () => bob.api("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("rr"), text: "rest burst" })),
      );
      const refused = rest.filter((r) => r.status === 429);
      expect(refused.length).toBeGreaterThan(0);
      for (const r of refused) expect(r.body.error.code).toBe("rate_limited");
      // A refused clientId may be retried once the budget refills (waiting is pacing, not an assertion).
      await Bun.sleep(2500);
      const retry = await sock.sendMessage("retry", limited[0].clientId);
      expect(retry.t).toBe("ack");
      expect(retry.duplicate ?? false).toBe(false);
    });
  });

  describe("limits: slow consumers", () => {
    const ctx = useTarget(factory, { [LimitEnv.sendsPerSecond]: "10000", [LimitEnv.maxSocketBufferBytes]: "65536" });

    // A host that sees its send buffer (Bun) drops the socket by that; one that cannot (Durable
    // Objects) by what the client has not acknowledged (protocol/flow.ts). Either way: bounded.
    test("a client that stops reading is dropped by the server; what it got is gap-free; others are unaffected", async () => {
      const [alice, bob, carol] = await ctx.users(3, "slow");
      const conv = await ctx.group(alice, [bob, carol]);
      const { sock: sa } = await alice.join(conv.id);
      const { sock: sc } = await carol.join(conv.id);
      const raw = await openRawWebSocket(ctx.nx.wsUrl(`/v1/ws/conversations/${conv.id}?ticket=${await bob.ticket()}`), {
        pauseAfterHandshake: true,
      });
      expect(raw.status).toBe(101);
      // ~20 MB of events: far beyond kernel socket buffers and the server's 64 KB allowance.
      const text = "s".repeat(3900);
      const total = 5000;
      let lastAck = 0;
      for (let batch = 0; batch < total / 250; batch++) {
        const ids = Array.from({ length: 250 }, () => newClientId("fl"));
        for (const id of ids) sa.send({ t: "send", clientId: id, text });
        const acks = await Promise.all(ids.map((id) => sa.replyTo(id, 30_000)));
        for (const a of acks) expect(a.t).toBe("ack");
        lastAck = acks[acks.length - 1].seq;
      }
      // A reading member got everything (and, where the host asked for acks, kept sending them).
      await sc.next((f) => f.t === "event" && f.e.seq === lastAck, 60_000);
      if (sc.all("welcome")[0].flow) expect(sc.acksSent).toBeGreaterThan(0);
      // Now read what the server kept for the stalled client: it must end, not deliver 20 MB.
      raw.resume();
      const ended = await Promise.race([raw.ended, Bun.sleep(30_000).then(() => "still open" as const)]);
      if (ended === "still open") {
        throw new Error(
          `the server kept a stalled socket open: after resuming it delivered ${raw.bytes()} bytes in ${raw.texts.length} frames ` +
            `(flood was ~${total * text.length} bytes) and no close within 30 s`,
        );
      }
      expect(raw.bytes()).toBeLessThan(total * text.length * 0.5);
      const code = raw.closeCode();
      if (code !== undefined) expect(code).toBe(4008);
      const seqs = raw.texts
        .map((t) => JSON.parse(t))
        .flatMap((f) => (f.t === "event" ? [f.e] : f.t === "events" ? f.es : []))
        .map((e) => e.seq as number);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1] + 1);
      raw.destroy();
      // The server is healthy and the dropped client can resume.
      expect((await ctx.nx.request("GET", "/health")).status).toBe(200);
      const { welcome } = await bob.join(conv.id, { after: lastAck - 3, epoch: sc.all("welcome")[0].conversation.epoch });
      expect(welcome.recovered).toBe(true);
      expect(welcome.events.map((e: any) => e.seq)).toEqual([lastAck - 2, lastAck - 1, lastAck]);
    }, 180_000);
  });
}
