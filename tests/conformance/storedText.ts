/**
 * Stored strings: what is acknowledged is what is stored and replayed, byte for byte. Strings that
 * storage cannot keep (U+0000, unpaired UTF-16 surrogates: protocol/storableText.ts) are refused
 * before the ack with `bad_request` naming the field, on sockets and REST alike, and change nothing.
 * Everything else (ZWJ emoji, combining marks, RTL, noncharacters, BOMs, astral characters, CRLF,
 * a text exactly at the length limit) reads back identical from history after kill -9 and restart.
 */
import { describe, expect, test } from "bun:test";
import { newClientId, type Session, type TestSocket } from "../support/client.ts";
import { retarget, useTarget } from "./harness.ts";
import { LimitEnv, type SuiteOptions, type TargetFactory } from "./target.ts";

const MAX_TEXT = 10_000;
const REFUSAL = /contains a NUL character or an unpaired surrogate/;

/** Strings no stored field may hold: NUL, a lone high and a lone low surrogate, a reversed pair. */
export const UNSTORABLE = ["a\u0000b", "a\ud800b", "a\udc00b", "\udc00\ud800", "tail\ud83d"];

/** Unicode that must survive storage exactly. */
const PIECES = [
  "👩‍👩‍👧‍👦", "🏳️‍🌈", "e\u0301", "Z\u0324\u0344\u0308", "שלום עולם", "مرحبا", "\u202Eevil\u202C", "\uFFFF", "\uFEFF", "\uFFFE",
  "𝕏", "𐍈", "🀄", "\u{10FFFF}", "\r\n", "\t", "\u2028\u2029", "\u0001\u001f\u007f", "ascii ", "\u00a0",
];

/** `PIECES` repeated to exactly `n` UTF-16 units, never cutting a surrogate pair. */
function edgeText(n: number): string {
  let s = "\uFEFF"; // a BOM first: nothing may strip it
  for (let i = 0; s.length < n; i++) {
    const p = PIECES[i % PIECES.length]!;
    s += s.length + p.length <= n ? p : "x".repeat(n - s.length);
  }
  return s;
}

async function expectNextSeq(sock: TestSocket, expected: number): Promise<void> {
  const ack = await sock.sendMessage("sentinel");
  expect(ack.t).toBe("ack");
  expect(ack.seq).toBe(expected);
}

export function storedTextTests(factory: TargetFactory, opts: SuiteOptions = {}): void {
  describe("stored text: acked = stored, or refused", () => {
    const ctx = useTarget(factory, { [LimitEnv.maxTextLength]: String(MAX_TEXT), [LimitEnv.maxFrameBytes]: "65536", [LimitEnv.sendsPerSecond]: "1000" });

    test("NUL and unpaired surrogates are refused in every stored field, over sockets and REST, and change nothing", async () => {
      const [alice, bob] = await ctx.users(2, "nul");
      const conv = await ctx.group(alice, [bob], "before");
      const { sock, welcome } = await alice.join(conv.id);
      const target = (await sock.sendMessage("target")).seq as number;
      const last = target;
      const expectRefusedFrame = async (frame: Record<string, unknown>) => {
        const clientId = newClientId("bad");
        sock.send({ ...frame, clientId });
        const err = await sock.next((f) => f.t === "error" && (f.clientId === clientId || f.clientId === undefined));
        expect(err.code).toBe("bad_request");
        expect(err.message).toMatch(REFUSAL);
      };
      const expectRefused = (res: { status: number; body: any }) => {
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe("bad_request");
        expect(res.body.error.message).toMatch(REFUSAL);
      };
      const groupsBefore = (await alice.must("GET", "/v1/conversations")).conversations.length;
      for (const bad of UNSTORABLE) {
        await expectRefusedFrame({ t: "send", text: bad });
        await expectRefusedFrame({ t: "edit", target, text: bad });
        await expectRefusedFrame({ t: "react", target, emoji: bad, on: true });
        await expectRefusedFrame({ t: "call", callId: `call-${bad}-1234`, action: "hangup" });
        expectRefused(await alice.api("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("badr"), text: bad }));
        expectRefused(await alice.api("PATCH", `/v1/conversations/${conv.id}`, { title: bad }));
        expectRefused(await alice.api("POST", "/v1/conversations", { title: bad, members: [bob.username], clientId: newClientId("badg") }));
      }
      // A query string can carry a NUL (%00); a lone surrogate has no UTF-8 form, so no URL holds one.
      const upload = await alice.nexus.request("POST", `/v1/attachments?conversationId=${conv.id}&name=a%00b.txt`, new Uint8Array([1, 2, 3]),
        alice.token, { "content-type": "text/plain" });
      expectRefused(upload);
      // Nothing changed: no event, the title kept, no group made, the target's text and reactions intact.
      await expectNextSeq(sock, last + 1);
      expect((await alice.must("GET", `/v1/conversations/${conv.id}`)).title).toBe("before");
      expect((await alice.must("GET", "/v1/conversations")).conversations.length).toBe(groupsBefore);
      const stored = (await alice.fullHistory(conv.id)).find((e) => e.seq === target);
      expect(stored.text).toBe("target");
      expect(stored.editedTs).toBeUndefined();
      expect(stored.reactions).toBeUndefined();
      expect(welcome.conversation.lastSeq + 1).toBe(target);
    });

    test("unicode edge cases read back byte-for-byte from history, after kill -9 and restart", async () => {
      const [alice, bob] = await ctx.users(2, "uni");
      const title = `group ${PIECES.slice(0, 8).join("")}`.slice(0, 60);
      const conv = await ctx.group(alice, [bob], title);
      const { sock } = await alice.join(conv.id);
      const full = edgeText(MAX_TEXT);
      expect(full.length).toBe(MAX_TEXT);
      const short = PIECES.join("|");
      const edited = `edited ${[...PIECES].reverse().join("")}`;
      const emoji = "👩‍👩‍👧‍👦";
      const name = `файл ${PIECES.slice(0, 4).join("")}.txt`;
      const renamed = `renamed ${PIECES.slice(8, 14).join("")}`;

      const sent: Array<{ clientId: string; text: string; seq?: number }> = [{ clientId: newClientId("u1"), text: full }, { clientId: newClientId("u2"), text: short }];
      for (const m of sent) {
        const ack = await sock.sendMessage(m.text, m.clientId);
        expect(ack.t).toBe("ack");
        m.seq = ack.seq;
        // What the sender was shown is the text itself.
        expect(sock.all((f) => f.t === "event" && f.e.clientId === m.clientId)[0]?.e.text).toBe(m.text);
      }
      const rest = await alice.must("POST", `/v1/conversations/${conv.id}/messages`, { clientId: newClientId("u3"), text: full }, 201);
      expect(rest.seq).toBeGreaterThan(sent[1]!.seq!);
      for (const frame of [
        { t: "edit", clientId: newClientId("ue"), target: sent[1]!.seq, text: edited },
        { t: "react", clientId: newClientId("ur"), target: sent[0]!.seq, emoji, on: true },
      ]) {
        sock.send(frame);
        expect((await sock.replyTo(frame.clientId)).t).toBe("ack");
      }
      const up = await alice.nexus.request("POST", `/v1/attachments?conversationId=${conv.id}&name=${encodeURIComponent(name)}`, new Uint8Array([1, 2, 3]),
        alice.token, { "content-type": "text/plain" });
      expect(up.status).toBe(201);
      expect(up.body.name).toBe(name);
      const withFile = await sock.sendMessage("file", newClientId("uf"), { attachments: [up.body.id] });
      expect(withFile.t).toBe("ack");
      await alice.must("PATCH", `/v1/conversations/${conv.id}`, { title: renamed });

      let reader: Session = alice;
      if (opts.restartable !== false && ctx.target.restart) {
        await ctx.target.restart();
        reader = await retarget(ctx).login(alice.username, alice.password);
      }
      const history = await reader.fullHistory(conv.id);
      const bySeq = new Map(history.map((e) => [e.seq, e]));
      expect(bySeq.get(sent[0]!.seq)?.text).toBe(full);
      expect(bySeq.get(sent[0]!.seq)?.reactions).toEqual({ [emoji]: [alice.id] });
      expect(bySeq.get(sent[1]!.seq)?.text).toBe(edited);
      expect(bySeq.get(rest.seq)?.text).toBe(full);
      expect(bySeq.get(withFile.seq)?.attachments?.[0]?.name).toBe(name);
      expect(history.find((e) => e.kind === "created")?.title).toBe(title);
      expect(history.find((e) => e.kind === "rename")?.title).toBe(renamed);
      expect((await reader.must("GET", `/v1/conversations/${conv.id}`)).title).toBe(renamed);
    }, 120_000);
  });
}
