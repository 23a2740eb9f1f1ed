/**
 * Runs the authorization matrix (authzMatrix.ts) against a host: for every row, every caller makes
 * the row's request and the answers must equal the row. Also fails when the app has a route or a
 * client frame type without a row, or a row without a way to ask it.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { useTarget } from "../conformance/harness.ts";
import type { TargetFactory } from "../conformance/target.ts";
import { newClientId, type Session } from "../support/client.ts";
import { appRoutes, conversationFrameTypes, inboxFrameTypes } from "./appRoutes.ts";
import { frameAnswer, makeFixture, openAs, ticketOf, FORGED, type Fixture } from "./authzFixture.ts";
import { CALLERS, MATRIX, type Answer, type Caller, type Row } from "./authzMatrix.ts";
import { TINY_PNG } from "../support/images.ts";

type Ask = (fx: Fixture, caller: Caller, s: Session | undefined) => Promise<Answer>;

const http =
  (method: string, path: (fx: Fixture, s: Session | undefined, caller: Caller) => string | Promise<string>, body?: (fx: Fixture, s: Session | undefined, caller: Caller) => unknown): Ask =>
  async (fx, caller, s) => (await fx.nx.request(method, await path(fx, s, caller), await body?.(fx, s, caller), s?.token)).status;
const at = (p: string) => () => p;
/** A well-formed subscription (never pushed to: nothing here mentions anyone). */
const PUSH_SUBSCRIPTION = (caller: string) => ({
  endpoint: `https://push.example.com/az/${caller}`,
  keys: { p256dh: `B${"A".repeat(86)}`, auth: "A".repeat(22) },
});
const G = (suffix = "") => (fx: Fixture) => `/v1/conversations/${fx.group}${suffix}`;
/** G has a picture (its admin uploads one when it has none), so reading or removing one is allowed. */
async function groupPicture(fx: Fixture): Promise<void> {
  const admin = fx.as.groupAdmin!;
  if (!(await fx.nx.request("GET", `/v1/conversations/${fx.group}`, undefined, admin.token)).body.picture)
    await fx.nx.request("PUT", `/v1/conversations/${fx.group}/picture`, TINY_PNG, admin.token, { "content-type": "image/png" });
}

async function onConversationSocket(fx: Fixture, caller: Caller, frame: (fx: Fixture) => Promise<Record<string, unknown>> | Record<string, unknown>): Promise<Answer> {
  const { answer, sock } = await openAs(fx, caller, `/v1/ws/conversations/${fx.group}?ticket=${await ticketOf(fx, caller)}`, "welcome");
  try {
    return answer === "welcome" ? await frameAnswer(sock, await frame(fx)) : answer;
  } finally {
    await sock.close();
  }
}

async function onInboxSocket(fx: Fixture, caller: Caller, frame: Record<string, unknown>): Promise<Answer> {
  const { answer, sock } = await openAs(fx, caller, `/v1/ws/inbox?ticket=${await ticketOf(fx, caller)}`, "inbox");
  try {
    return answer === "welcome" ? await frameAnswer(sock, frame) : answer;
  } finally {
    await sock.close();
  }
}

/** How each row is asked, keyed by route (and variant). */
const ASK: Record<string, Ask> = {
  "GET /health": http("GET", at("/health")),
  "GET /ready": http("GET", at("/ready")),
  "GET /metrics": http("GET", at("/metrics")),
  "POST /v1/auth/register": async (fx) => (await fx.nx.request("POST", "/v1/auth/register", { username: `azreg_${newClientId("r").slice(-12).toLowerCase().replace(/[^a-z0-9_]/g, "")}`, password: "a-long-enough-passphrase-42" })).status,
  "POST /v1/auth/login": async (fx, caller, s) =>
    (await fx.nx.request("POST", "/v1/auth/login", s ? { username: s.username, password: s.password } : { username: fx.peer.username, password: "wrong-password-1" })).status,
  "POST /v1/auth/refresh": async (fx, _c, s) => {
    const res = await fx.nx.request("POST", "/v1/auth/refresh", { refreshToken: s?.refreshToken ?? FORGED });
    if (res.status === 200 && s) [s.token, s.refreshToken] = [res.body.accessToken, res.body.refreshToken];
    return res.status;
  },
  "POST /v1/auth/logout": async (fx, caller, s) => {
    // A session of its own, so the caller's other rows are unaffected; locked: its revoked token.
    const token = !s ? FORGED : caller === "locked" ? s.refreshToken : (await fx.nx.login(s.username, s.password)).refreshToken;
    return (await fx.nx.request("POST", "/v1/auth/logout", { refreshToken: token })).status;
  },
  "GET /v1/me": http("GET", at("/v1/me")),
  "GET /v1/users": http("GET", at("/v1/users?q=az")),
  "GET /v1/users/by-name/:username": http("GET", (fx) => `/v1/users/by-name/${fx.as.groupAdmin!.username}`),
  "POST /v1/ws-ticket": http("POST", at("/v1/ws-ticket")),
  "PATCH /v1/me/profile": http("PATCH", at("/v1/me/profile"), (_fx, _s, caller) => ({ displayName: `Az ${caller}`, status: "here" })),
  "PUT /v1/me/avatar": async (fx, _c, s) => (await fx.nx.request("PUT", "/v1/me/avatar", TINY_PNG, s?.token, { "content-type": "image/png" })).status,
  "DELETE /v1/me/avatar": http("DELETE", at("/v1/me/avatar")),
  "GET /v1/users/:id/avatar": async (fx, _c, s) => {
    const owner = fx.as.groupAdmin!;
    if (!(await fx.nx.request("GET", "/v1/me", undefined, owner.token)).body.avatar)
      await fx.nx.request("PUT", "/v1/me/avatar", TINY_PNG, owner.token, { "content-type": "image/png" });
    return (await fx.nx.request("GET", `/v1/users/${owner.id}/avatar?size=64`, undefined, s?.token)).status;
  },
  "GET /v1/users/profiles": http("GET", (fx) => `/v1/users/profiles?ids=${fx.as.groupAdmin!.id}`),
  "GET /v1/users/directory": http("GET", at("/v1/users/directory?q=az&limit=5")),
  "GET /v1/ws/conversations/:id": async (fx, caller) => {
    const { answer, sock } = await openAs(fx, caller, `/v1/ws/conversations/${fx.group}?ticket=${await ticketOf(fx, caller)}`, "welcome");
    await sock.close();
    return answer;
  },
  "GET /v1/ws/inbox": async (fx, caller) => {
    const { answer, sock } = await openAs(fx, caller, `/v1/ws/inbox?ticket=${await ticketOf(fx, caller)}`, "inbox");
    await sock.close();
    return answer;
  },
  "GET /v1/conversations": http("GET", at("/v1/conversations")),
  "POST /v1/conversations/direct": http("POST", at("/v1/conversations/direct"), (fx) => ({ username: fx.peer.username })),
  "POST /v1/conversations": http("POST", at("/v1/conversations"), () => ({ title: "authz matrix" })),
  "GET /v1/conversations/:id": http("GET", G()),
  "PATCH /v1/conversations/:id": http("PATCH", G(), (_fx, _s, caller) => ({ title: `renamed by ${caller}` })),
  "PATCH /v1/conversations/:id/description": http("PATCH", G("/description"), (_fx, _s, caller) => ({ description: `described by ${caller}` })),
  "PUT /v1/conversations/:id/picture": async (fx, _c, s) =>
    (await fx.nx.request("PUT", `/v1/conversations/${fx.group}/picture`, TINY_PNG, s?.token, { "content-type": "image/png" })).status,
  "DELETE /v1/conversations/:id/picture": async (fx, _c, s) => {
    await groupPicture(fx);
    return (await fx.nx.request("DELETE", `/v1/conversations/${fx.group}/picture`, undefined, s?.token)).status;
  },
  "GET /v1/conversations/:id/picture": async (fx, _c, s) => {
    await groupPicture(fx);
    return (await fx.nx.request("GET", `/v1/conversations/${fx.group}/picture?size=64`, undefined, s?.token)).status;
  },
  "POST /v1/conversations/:id/members": http("POST", G("/members"), async (fx) => ({ username: (await fx.fresh("add")).username })),
  "DELETE /v1/conversations/:id/members/:userId another member": http("DELETE", async (fx) => `/v1/conversations/${fx.group}/members/${(await fx.freshMember()).id}`),
  "DELETE /v1/conversations/:id/members/:userId oneself": async (fx, caller, s) => {
    const status = (await fx.nx.request("DELETE", `/v1/conversations/${fx.group}/members/${s?.id ?? "u_nobody0000"}`, undefined, s?.token)).status;
    // Come back, so the caller's later rows still ask as a member.
    if (status === 200) await fx.as.groupAdmin!.must("POST", `/v1/conversations/${fx.group}/members`, { username: s!.username });
    return status;
  },
  "PATCH /v1/conversations/:id/members/:userId": http("PATCH", async (fx) => `/v1/conversations/${fx.group}/members/${(await fx.freshMember()).id}`, () => ({ role: "admin" })),
  "GET /v1/conversations/:id/messages": http("GET", G("/messages")),
  "POST /v1/conversations/:id/messages": http("POST", G("/messages"), () => ({ clientId: newClientId("az"), text: "matrix" })),
  "DELETE /v1/conversations/:id/messages/:seq": http("DELETE", async (fx) => `/v1/conversations/${fx.group}/messages/${await fx.freshMessage()}`),
  "GET /v1/conversations/:id/pins": http("GET", G("/pins")),
  "POST /v1/conversations/:id/pins": http("POST", G("/pins"), async (fx) => ({ clientId: newClientId("az"), target: await fx.freshMessage() })),
  "GET /v1/conversations/:id/threads/:seq": http("GET", async (fx) => `/v1/conversations/${fx.group}/threads/${await fx.freshMessage()}`),
  "PUT /v1/conversations/:id/threads/:seq/follow": http("PUT", async (fx) => `/v1/conversations/${fx.group}/threads/${await fx.freshMessage()}/follow`, () => ({ on: true })),
  "POST /v1/conversations/:id/threads/:seq/read": http("POST", async (fx) => `/v1/conversations/${fx.group}/threads/${await fx.freshMessage()}/read`, () => ({ seq: 1 })),
  "GET /v1/search": http("GET", (fx) => `/v1/search?q=words&conversationId=${fx.group}`),
  "POST /v1/attachments": async (fx, _c, s) =>
    (await fx.nx.request("POST", `/v1/attachments?conversationId=${fx.group}&name=m.txt`, new TextEncoder().encode("m"), s?.token, { "content-type": "text/plain" })).status,
  "GET /v1/conversations/:id/attachments/:attachmentId": http("GET", (fx) => `/v1/conversations/${fx.group}/attachments/${fx.attachmentId}`),
  "POST /v1/conversations/:id/attachments/upload-url": http("POST", G("/attachments/upload-url"), () => ({ name: "u.txt", type: "text/plain", size: 4 })),
  "POST /v1/conversations/:id/attachments/:attachmentId/confirm": http("POST", (fx) => `/v1/conversations/${fx.group}/attachments/${fx.attachmentId}/confirm`, () => ({ name: "c.txt" })),
  "GET /v1/conversations/:id/attachments/:attachmentId/download": http("GET", (fx) => `/v1/conversations/${fx.group}/attachments/${fx.attachmentId}/download`),
  "GET /v1/calls/ice": http("GET", at("/v1/calls/ice")),
  "GET /v1/me/notifications": http("GET", at("/v1/me/notifications")),
  "PUT /v1/me/notifications/conversations/:id": http("PUT", (fx) => `/v1/me/notifications/conversations/${fx.group}`, () => ({ level: "mentions", mute: 60 })),
  "PUT /v1/me/notifications/dnd": http("PUT", at("/v1/me/notifications/dnd"), () => ({ schedule: { from: "22:00", to: "07:00", timeZone: "Europe/Berlin" } })),
  "GET /v1/push/key": http("GET", at("/v1/push/key")),
  "POST /v1/push/subscriptions": http("POST", at("/v1/push/subscriptions"), (_fx, _s, caller) => PUSH_SUBSCRIPTION(caller)),
  "GET /v1/push/subscriptions": http("GET", at("/v1/push/subscriptions")),
  "DELETE /v1/push/subscriptions": http("DELETE", at("/v1/push/subscriptions"), (_fx, _s, caller) => ({ endpoint: PUSH_SUBSCRIPTION(caller).endpoint })),
  "GET /v1/presence": async (fx, _c, s) => {
    const res = await fx.nx.request("GET", `/v1/presence?userIds=${fx.as.groupAdmin!.id}`, undefined, s?.token);
    if (res.status !== 200) return res.status;
    return res.body.presence.some((p: { userId: string }) => p.userId === fx.as.groupAdmin!.id) ? 200 : "hidden";
  },
  "GET /v1/admin/users": http("GET", at("/v1/admin/users")),
  "POST /v1/admin/users/:id/lock": http("POST", async (fx) => `/v1/admin/users/${(await fx.fresh("lockme")).id}/lock`, () => ({ minutes: 5 })),
  "POST /v1/admin/users/:id/unlock": http("POST", (fx) => `/v1/admin/users/${fx.peer.id}/unlock`),
  "POST /v1/admin/users/:id/deactivate": http("POST", async (fx) => `/v1/admin/users/${(await fx.fresh("deact")).id}/deactivate`),
  "POST /v1/admin/users/:id/reactivate": http("POST", (fx) => `/v1/admin/users/${fx.peer.id}/reactivate`),
  "POST /v1/admin/users/:id/reset-password": http("POST", async (fx) => `/v1/admin/users/${(await fx.fresh("reset")).id}/reset-password`),
  "GET /v1/admin/audit": http("GET", at("/v1/admin/audit?limit=5")),
  "POST /v1/me/password": async (fx, _c, s) => {
    // To a new password and back, so the caller's password is unchanged; its session is the new one.
    const change = async (from: string, to: string) => {
      const res = await fx.nx.request("POST", "/v1/me/password", { currentPassword: from, newPassword: to }, s?.token);
      if (res.status === 200 && s) [s.token, s.refreshToken] = [res.body.accessToken, res.body.refreshToken];
      return res.status;
    };
    const status = await change(s?.password ?? "whatever-1", "another-long-passphrase-77");
    if (status === 200) expect(await change("another-long-passphrase-77", s!.password)).toBe(200);
    return status;
  },
  "DELETE /v1/me": async (fx, _c, s) => (await fx.nx.request("DELETE", "/v1/me", { password: "not-the-password-9" }, s?.token)).status,
  "POST /v1/admin/conversations/:id/home": http("POST", (fx) => `/v1/admin/conversations/${fx.group}/home`, () => ({ region: "b" })),
  "POST /v1/admin/users/:id/home": http("POST", (fx) => `/v1/admin/users/${fx.peer.id}/home`, () => ({ region: "b" })),
  "conversation frame send": (fx, c) => onConversationSocket(fx, c, () => ({ t: "send", clientId: newClientId("az"), text: "over the socket" })),
  "conversation frame edit": (fx, c) => onConversationSocket(fx, c, (fx) => ({ t: "edit", clientId: newClientId("az"), target: fx.seq, text: `edited by ${c}` })),
  "conversation frame delete": (fx, c) => onConversationSocket(fx, c, async (fx) => ({ t: "delete", clientId: newClientId("az"), target: await fx.freshMessage() })),
  "conversation frame react": (fx, c) => onConversationSocket(fx, c, (fx) => ({ t: "react", clientId: newClientId("az"), target: fx.seq, emoji: "👍", on: true })),
  "conversation frame pin": (fx, c) => onConversationSocket(fx, c, async (fx) => ({ t: "pin", clientId: newClientId("az"), target: await fx.freshMessage(), on: true })),
  "conversation frame typing": (fx, c) => onConversationSocket(fx, c, () => ({ t: "typing", on: true })),
  "conversation frame read": (fx, c) => onConversationSocket(fx, c, (fx) => ({ t: "read", seq: fx.seq })),
  "conversation frame history": (fx, c) => onConversationSocket(fx, c, () => ({ t: "history", limit: 5 })),
  "conversation frame ping": (fx, c) => onConversationSocket(fx, c, () => ({ t: "ping" })),
  "conversation frame call": (fx, c) => onConversationSocket(fx, c, () => ({ t: "call", callId: newClientId("call"), action: "ring", media: "audio" })),
  "conversation frame received": (fx, c) => onConversationSocket(fx, c, () => ({ t: "received", chars: 0 })),
  "inbox frame presence": (fx, c) => onInboxSocket(fx, c, { t: "presence", status: "away" }),
  "inbox frame ping": (fx, c) => onInboxSocket(fx, c, { t: "ping" }),
  "inbox frame received": (fx, c) => onInboxSocket(fx, c, { t: "received", chars: 0 }),
};

const keyOf = (r: Row) => (r.variant ? `${r.route} ${r.variant}` : r.route);

export function authzSuite(name: string, factory: TargetFactory): void {
  setDefaultTimeout(120_000);
  describe(`authorization matrix: ${name}`, () => {
    // AUTH_CACHE_MS=0: a lock takes effect at once (the cache's delay is tested elsewhere).
    // Sends are not what this suite checks, and its fixture sends fast (a fresh message per row):
    // the per-user send limit (20/s) would answer 429 for a row on a fast run.
    const ctx = useTarget(factory, { AUTH_CACHE_MS: "0", NEXUS_SENDS_PER_SECOND: "10000" });
    let fx: Fixture;

    test("every route and client frame type of the app has a row, and every row a way to ask it", () => {
      const rows = new Set(MATRIX.map((r) => r.route));
      const app = [...appRoutes(), ...conversationFrameTypes().map((t) => `conversation frame ${t}`), ...inboxFrameTypes().map((t) => `inbox frame ${t}`)];
      expect(app.filter((r) => !rows.has(r))).toEqual([]);
      expect([...rows].filter((r) => !app.includes(r))).toEqual([]);
      expect(MATRIX.map(keyOf).filter((k) => !ASK[k])).toEqual([]);
    });

    for (const row of MATRIX) {
      test(`${keyOf(row)}${row.item ? ` (#18 item ${row.item})` : ""}`, async () => {
        fx ??= await makeFixture(ctx.nx, ctx.root);
        const got = {} as Record<Caller, Answer>;
        for (const caller of CALLERS) got[caller] = await ASK[keyOf(row)]!(fx, caller, fx.as[caller]);
        expect(got).toEqual(row.expect);
      });
    }
  });
}
