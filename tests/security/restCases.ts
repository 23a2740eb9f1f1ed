/**
 * One fuzz case per route of the edge app (keyed "METHOD /path" as Hono lists them): who calls it,
 * generated path parameters, query and body, and how an accepted write is read back.
 */
import fc from "fast-check";
import { z } from "zod";
import * as P from "../../protocol/index.ts";
import type { ApiResponse, Session } from "../support/client.ts";
import { garbageValue, inputsFor, nastyString, pathSegment, rawGarbageText } from "./arbitraries.ts";
import { eventAt, expectMessage, type World } from "./fuzzWorld.ts";
import { expect } from "bun:test";
import { TINY_PNG } from "../support/images.ts";

export interface Request {
  path: string;
  query?: unknown;
  /** JSON value (sent as JSON) or raw text / bytes. */
  body?: unknown;
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
}

export interface RestCase {
  /** Who sends it (undefined: anonymous). */
  as(w: World): Session | undefined;
  /** The request, built from generated parts and the world. */
  request(w: World): fc.Arbitrary<Request>;
  /** Called for a 2xx: check the write reads back as acknowledged (and record it for the restart). */
  readBack?(w: World, req: Request, res: ApiResponse): Promise<void>;
}

/** A path parameter: usually a real one, sometimes a well-formed stranger, sometimes garbage. */
const param = (...real: string[]) =>
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...real) }, { weight: 1, arbitrary: nastyString.map(pathSegment).filter((s) => s.length > 0) }, {
    weight: 1,
    arbitrary: fc.constantFrom("g_doesnotexist123", "d_AAAAAAAAAAAAAAAAAAAAAA", "u_nobody000000", "0", "-1", "99999999999999999999", "%2e%2e", "a_AAAAAAAAAAAAAAAAAAAA"),
  });

/** A JSON body from the schema, or raw text that is not the schema at all. */
const jsonBody = (schema: z.ZodType, overrides?: Record<string, fc.Arbitrary<unknown>>) =>
  fc.oneof(
    { weight: 6, arbitrary: inputsFor(schema, overrides).map((body) => ({ body })) },
    { weight: 1, arbitrary: rawGarbageText.map((raw) => ({ raw })) },
  );

const query = (schema: z.ZodType) => inputsFor(schema);
const nameOf = (w: World) => fc.constantFrom(w.bob.username, w.carol.username, w.dave.username, w.victim.username);
const alice = (w: World) => w.alice;
const conv = (w: World) => param(w.group, w.direct);

async function seqWritten(w: World, id: string, res: ApiResponse): Promise<void> {
  expect(typeof res.body.seq).toBe("number");
  expect((await eventAt(w.alice, id, res.body.seq))?.seq, `event ${res.body.seq} of ${id}`).toBe(res.body.seq);
}

const schemaNamed = (name: string): z.ZodType => ((P as Record<string, unknown>)[name] as z.ZodType | undefined) ?? z.object({});

/** A query object as the server receives it: strings, lone surrogates replaced as URL encoding does. */
const asSentInUrl = (q: object): Record<string, string> =>
  Object.fromEntries(Object.entries(q).map(([k, v]) => [k, wellFormed(typeof v === "string" ? v : JSON.stringify(v) ?? "")]));
const wellFormed = (s: string) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");

/** fetch refuses header values outside visible Latin-1: keep what a client could send. */
const latin1 = (s: string) => s.replace(/[^\x20-\x7e\xa0-\xff]/g, "").trim();

const idFromPath = (path: string) => decodeURIComponent(path.split("/")[3]!);

export const REST_CASES: Record<string, RestCase> = {
  "GET /health": { as: () => undefined, request: () => fc.constant({ path: "/health" }) },
  "GET /ready": { as: () => undefined, request: () => fc.constant({ path: "/ready" }) },
  "GET /metrics": { as: () => undefined, request: () => fc.constant({ path: "/metrics" }) },
  "POST /v1/auth/register": {
    as: () => undefined,
    request: () => jsonBody(P.RegisterBody).map((b) => ({ path: "/v1/auth/register", ...b })),
    async readBack(w, req, res) {
      const body = req.body as { username: string; password: string };
      expect(res.body.user.username).toBe(body.username);
      w.expected.accounts.push({ username: body.username, password: body.password, id: res.body.user.id });
    },
  },
  "POST /v1/auth/login": { as: () => undefined, request: () => jsonBody(P.LoginBody).map((b) => ({ path: "/v1/auth/login", ...b })) },
  "POST /v1/auth/refresh": { as: () => undefined, request: () => jsonBody(P.RefreshBody).map((b) => ({ path: "/v1/auth/refresh", ...b })) },
  "POST /v1/auth/logout": { as: () => undefined, request: () => jsonBody(P.LogoutBody).map((b) => ({ path: "/v1/auth/logout", ...b })) },
  "GET /v1/me": { as: alice, request: () => fc.constant({ path: "/v1/me" }) },
  "GET /v1/users": { as: alice, request: () => query(P.UserSearchQuery).map((q) => ({ path: "/v1/users", query: q })) },
  "PATCH /v1/me/profile": {
    as: alice,
    request: () => jsonBody(P.ProfileBody).map((b) => ({ path: "/v1/me/profile", ...b })),
    async readBack(w, req, res) {
      const sent = req.body as { displayName?: string | null; status?: string | null };
      const me = (await w.alice.must("GET", "/v1/me")) as P.PublicUser;
      if (sent.displayName !== undefined) expect(me.displayName).toBe(sent.displayName?.trim() || undefined);
      if (sent.status !== undefined) expect(me.status).toBe(sent.status?.trim() || undefined);
      expect(res.body.id).toBe(w.alice.id);
    },
  },
  "PUT /v1/me/avatar": {
    as: alice,
    request: () =>
      fc.oneof(fc.constant(TINY_PNG), fc.uint8Array({ maxLength: 64 })).map((raw) => ({ path: "/v1/me/avatar", raw, headers: { "content-type": "image/png" } })),
    async readBack(w, _req, res) {
      const got = await w.alice.api("GET", `/v1/users/${w.alice.id}/avatar?size=64&v=${res.body.avatar}`);
      expect(got.status).toBe(200);
    },
  },
  "DELETE /v1/me/avatar": { as: alice, request: () => fc.constant({ path: "/v1/me/avatar" }) },
  "GET /v1/users/:id/avatar": {
    as: alice,
    request: (w) => fc.tuple(param(w.alice.id, w.bob.id), query(P.AvatarQuery)).map(([id, q]) => ({ path: `/v1/users/${id}/avatar`, query: q && typeof q === "object" && !Array.isArray(q) ? asSentInUrl(q) : q })),
  },
  "GET /v1/users/profiles": { as: alice, request: () => query(P.ProfilesQuery).map((q) => ({ path: "/v1/users/profiles", query: q })) },
  "GET /v1/users/directory": { as: alice, request: () => query(P.DirectoryQuery).map((q) => ({ path: "/v1/users/directory", query: q })) },
  "GET /v1/users/by-name/:username": { as: alice, request: (w) => param(w.bob.username).map((u) => ({ path: `/v1/users/by-name/${u}` })) },
  "POST /v1/ws-ticket": { as: alice, request: () => fc.oneof(fc.constant({ path: "/v1/ws-ticket" }), garbageValue.map((body) => ({ path: "/v1/ws-ticket", body }))) },
  "GET /v1/ws/conversations/:id": {
    as: () => undefined,
    request: (w) => fc.tuple(conv(w), query(P.ResumeQuery)).map(([id, q]) => ({ path: `/v1/ws/conversations/${id}`, query: q })),
  },
  "GET /v1/ws/inbox": { as: () => undefined, request: () => query(z.object({ ticket: z.string().min(10) })).map((q) => ({ path: "/v1/ws/inbox", query: q })) },
  "GET /v1/conversations": { as: alice, request: () => fc.constant({ path: "/v1/conversations" }) },
  "POST /v1/conversations/direct": {
    as: alice,
    request: (w) => jsonBody(P.CreateDirectBody, { username: nameOf(w) }).map((b) => ({ path: "/v1/conversations/direct", ...b })),
    async readBack(w, _req, res) {
      expect(res.body.members.map((m: any) => m.userId)).toContain(w.alice.id);
    },
  },
  "POST /v1/conversations": {
    as: alice,
    request: (w) => jsonBody(P.CreateGroupBody, { members: fc.array(nameOf(w), { maxLength: 3 }) }).map((b) => ({ path: "/v1/conversations", ...b })),
    async readBack(w, req, res) {
      const sent = (req.body as { title: string }).title;
      expect(res.body.title).toBe(sent.trim());
      expect((await w.alice.must("GET", `/v1/conversations/${res.body.id}`)).title).toBe(res.body.title);
      w.expected.titles.set(res.body.id, res.body.title);
    },
  },
  "GET /v1/conversations/:id": { as: alice, request: (w) => conv(w).map((id) => ({ path: `/v1/conversations/${id}` })) },
  "PATCH /v1/conversations/:id": {
    as: alice,
    request: (w) => fc.tuple(conv(w), jsonBody(P.RenameBody)).map(([id, b]) => ({ path: `/v1/conversations/${id}`, ...b })),
    async readBack(w, req, res) {
      const id = idFromPath(req.path);
      await seqWritten(w, id, res);
      const title = (req.body as { title: string }).title.trim();
      expect((await w.alice.must("GET", `/v1/conversations/${id}`)).title).toBe(title);
      w.expected.titles.set(id, title);
    },
  },
  "PATCH /v1/conversations/:id/description": {
    as: alice,
    request: (w) => fc.tuple(conv(w), jsonBody(P.GroupDescriptionBody)).map(([id, b]) => ({ path: `/v1/conversations/${id}/description`, ...b })),
    async readBack(w, req, res) {
      const id = idFromPath(req.path);
      await seqWritten(w, id, res);
      const description = (req.body as { description: string }).description.trim();
      expect((await w.alice.must("GET", `/v1/conversations/${id}`)).description ?? "").toBe(description);
    },
  },
  "PUT /v1/conversations/:id/picture": {
    as: alice,
    request: (w) =>
      fc.tuple(conv(w), fc.oneof(fc.constant(TINY_PNG), fc.uint8Array({ maxLength: 64 })))
        .map(([id, raw]) => ({ path: `/v1/conversations/${id}/picture`, raw, headers: { "content-type": "image/png" } })),
    async readBack(w, req, res) {
      const id = idFromPath(req.path);
      await seqWritten(w, id, res);
      expect((await w.alice.api("GET", `/v1/conversations/${id}/picture?size=64&v=${res.body.picture}`)).status).toBe(200);
    },
  },
  "DELETE /v1/conversations/:id/picture": {
    as: alice,
    request: (w) => conv(w).map((id) => ({ path: `/v1/conversations/${id}/picture` })),
    readBack: (w, req, res) => seqWritten(w, idFromPath(req.path), res),
  },
  "GET /v1/conversations/:id/picture": {
    as: alice,
    request: (w) => fc.tuple(conv(w), query(P.AvatarQuery)).map(([id, q]) => ({ path: `/v1/conversations/${id}/picture`, query: q && typeof q === "object" && !Array.isArray(q) ? asSentInUrl(q) : q })),
  },
  "POST /v1/conversations/:id/members": {
    as: alice,
    request: (w) => fc.tuple(conv(w), jsonBody(P.AddMemberBody, { username: nameOf(w) })).map(([id, b]) => ({ path: `/v1/conversations/${id}/members`, ...b })),
    readBack: (w, req, res) => seqWritten(w, idFromPath(req.path), res),
  },
  "DELETE /v1/conversations/:id/members/:userId": {
    as: alice,
    // Never alice herself: she is the one reading everything back.
    request: (w) => fc.tuple(conv(w), param(w.bob.id, w.carol.id, w.dave.id)).map(([id, u]) => ({ path: `/v1/conversations/${id}/members/${u}` })),
    readBack: (w, req, res) => seqWritten(w, idFromPath(req.path), res),
  },
  "PATCH /v1/conversations/:id/members/:userId": {
    as: alice,
    request: (w) =>
      fc.tuple(conv(w), param(w.bob.id, w.carol.id, w.dave.id), jsonBody(P.SetRoleBody)).map(([id, u, b]) => ({ path: `/v1/conversations/${id}/members/${u}`, ...b })),
    readBack: (w, req, res) => seqWritten(w, idFromPath(req.path), res),
  },
  "GET /v1/conversations/:id/messages": {
    as: alice,
    request: (w) => fc.tuple(conv(w), query(P.HistoryQuery)).map(([id, q]) => ({ path: `/v1/conversations/${id}/messages`, query: q })),
  },
  "POST /v1/conversations/:id/messages": {
    as: alice,
    request: (w) =>
      fc.tuple(conv(w), jsonBody(P.RestSendBody, { attachments: fc.constantFrom(undefined, [], [w.attachmentId]), replyTo: fc.constantFrom(undefined, 1), base: fc.constantFrom(undefined, 0),
        threadRoot: fc.constant(undefined) })).map(([id, b]) => ({ path: `/v1/conversations/${id}/messages`, ...b })),
    async readBack(w, req, res) {
      const id = idFromPath(req.path);
      const sent = req.body as { text: string; attachments?: string[] };
      const e = await eventAt(w.alice, id, res.body.seq);
      if (res.body.duplicate) return; // a resend of an earlier clientId: that one was checked
      expect(e?.text, `text of ${id}#${res.body.seq} as acked`).toBe(sent.text);
      expect((e?.attachments ?? []).map((a: any) => a.id)).toEqual(sent.attachments ?? []);
      expectMessage(w, id, res.body.seq, { text: sent.text });
    },
  },
  "GET /v1/conversations/:id/pins": {
    as: alice,
    request: (w) => conv(w).map((id) => ({ path: `/v1/conversations/${id}/pins` })),
  },
  "POST /v1/conversations/:id/pins": {
    as: alice,
    request: (w) =>
      fc.tuple(conv(w), jsonBody(P.PinBody, { target: fc.integer({ min: 1, max: 40 }), base: fc.constantFrom(undefined, 0) })).map(([id, b]) => ({ path: `/v1/conversations/${id}/pins`, ...b })),
    async readBack(w, req, res) {
      // History pages fold pin events into their message (like reactions): the message is the read-back.
      expect(typeof res.body.seq).toBe("number");
      const body = req.body as { target: number; on?: boolean };
      if (res.body.duplicate) return;
      expect(!!(await eventAt(w.alice, idFromPath(req.path), body.target))?.pinned, "pinned state as acked").toBe(body.on ?? true);
    },
  },
  "DELETE /v1/conversations/:id/messages/:seq": {
    as: alice,
    request: (w) => fc.tuple(conv(w), fc.oneof(fc.integer({ min: 1, max: 40 }).map(String), nastyString.map(pathSegment))).map(([id, s]) => ({ path: `/v1/conversations/${id}/messages/${s}` })),
    async readBack(w, req, res) {
      const id = idFromPath(req.path);
      const target = Number(req.path.split("/").pop());
      // History pages fold a delete into its message (docs/protocol.md): the tombstone is the read-back.
      expect(typeof res.body.seq).toBe("number");
      expect((await eventAt(w.alice, id, target))?.deleted).toBe(true);
      expectMessage(w, id, target, { deleted: true });
    },
  },
  "GET /v1/conversations/:id/threads/:seq": {
    as: alice,
    request: (w) =>
      fc.tuple(conv(w), fc.oneof(fc.integer({ min: 1, max: 40 }).map(String), nastyString.map(pathSegment)), query(P.ThreadQuery))
        .map(([id, s, q]) => ({ path: `/v1/conversations/${id}/threads/${s}`, query: q })),
  },
  "PUT /v1/conversations/:id/threads/:seq/follow": {
    as: alice,
    request: (w) =>
      fc.tuple(conv(w), fc.integer({ min: 1, max: 40 }), jsonBody(P.ThreadFollowBody)).map(([id, s, b]) => ({ path: `/v1/conversations/${id}/threads/${s}/follow`, ...b })),
  },
  "POST /v1/conversations/:id/threads/:seq/read": {
    as: alice,
    request: (w) =>
      fc.tuple(conv(w), fc.integer({ min: 1, max: 40 }), jsonBody(P.ThreadReadBody)).map(([id, s, b]) => ({ path: `/v1/conversations/${id}/threads/${s}/read`, ...b })),
  },
  "GET /v1/search": { as: alice, request: () => query(P.SearchQuery).map((q) => ({ path: "/v1/search", query: q })) },
  "POST /v1/attachments": {
    as: alice,
    request: (w) =>
      fc
        .tuple(query(P.AttachmentUploadQuery), fc.boolean(), fc.oneof(fc.constantFrom("text/plain", "image/png", "application/pdf"), nastyString.map(latin1)), fc.uint8Array({ maxLength: 64 }))
        .map(([q, own, type, bytes]) => ({
          path: "/v1/attachments",
          query: q && typeof q === "object" && !Array.isArray(q) ? asSentInUrl(own ? { ...q, conversationId: w.group } : q) : q,
          raw: bytes,
          headers: { "content-type": type },
        })),
    async readBack(w, req, res) {
      const name = (req.query as { name: string }).name;
      expect(res.body.name).toBe(name);
      // The stored name is what members see in history: send it and read it back.
      const sent = await w.alice.must("POST", `/v1/conversations/${w.group}/messages`, { clientId: `att_${res.body.id}`.slice(0, 64), text: "", attachments: [res.body.id] }, 201);
      expect((await eventAt(w.alice, w.group, sent.seq))?.attachments?.map((a: any) => a.name)).toEqual([name]);
      expectMessage(w, w.group, sent.seq, { attachmentNames: [name] });
    },
  },
  "GET /v1/conversations/:id/attachments/:attachmentId": {
    as: alice,
    request: (w) => fc.tuple(conv(w), param(w.attachmentId)).map(([id, a]) => ({ path: `/v1/conversations/${id}/attachments/${a}` })),
  },
  // Presigned (direct-to-store) attachments. Their body schemas are looked up by name so this file
  // does not break while they are being added to protocol/rest.ts.
  "POST /v1/conversations/:id/attachments/upload-url": {
    as: alice,
    request: (w) => fc.tuple(conv(w), jsonBody(schemaNamed("AttachmentUploadUrlBody"))).map(([id, b]) => ({ path: `/v1/conversations/${id}/attachments/upload-url`, ...b })),
  },
  "POST /v1/conversations/:id/attachments/:attachmentId/confirm": {
    as: alice,
    request: (w) =>
      fc.tuple(conv(w), param(w.attachmentId), jsonBody(schemaNamed("AttachmentConfirmBody"))).map(([id, a, b]) => ({ path: `/v1/conversations/${id}/attachments/${a}/confirm`, ...b })),
  },
  "GET /v1/conversations/:id/attachments/:attachmentId/download": {
    as: alice,
    request: (w) => fc.tuple(conv(w), param(w.attachmentId)).map(([id, a]) => ({ path: `/v1/conversations/${id}/attachments/${a}/download` })),
  },
  "GET /v1/calls/ice": { as: alice, request: () => fc.constant({ path: "/v1/calls/ice" }) },
  "GET /v1/presence": {
    as: alice,
    request: (w) => fc.oneof(query(P.PresenceQuery), fc.constant({ userIds: `${w.bob.id},${w.dave.id}` })).map((q) => ({ path: "/v1/presence", query: q })),
  },
  "GET /v1/me/notifications": { as: alice, request: () => fc.constant({ path: "/v1/me/notifications" }) },
  "PUT /v1/me/notifications/conversations/:id": {
    as: alice,
    request: (w) => fc.tuple(conv(w), jsonBody(P.ConversationNotifyBody)).map(([id, b]) => ({ path: `/v1/me/notifications/conversations/${id}`, ...b })),
  },
  "PUT /v1/me/notifications/dnd": { as: alice, request: () => jsonBody(P.DndBody).map((b) => ({ path: "/v1/me/notifications/dnd", ...b })) },
  "GET /v1/push/key": { as: alice, request: () => fc.constant({ path: "/v1/push/key" }) },
  // Loose shapes rather than the schemas: generating strings for their regex-and-length keys never ends.
  "POST /v1/push/subscriptions": {
    as: alice,
    request: () =>
      fc.oneof(fc.constant({ body: { endpoint: "https://push.example.com/fz/1", keys: { p256dh: `B${"A".repeat(86)}`, auth: "A".repeat(22) } } }),
        jsonBody(z.object({ endpoint: z.string(), keys: z.object({ p256dh: z.string(), auth: z.string() }) }))).map((b) => ({ path: "/v1/push/subscriptions", ...b })),
  },
  "GET /v1/push/subscriptions": { as: alice, request: () => fc.constant({ path: "/v1/push/subscriptions" }) },
  "DELETE /v1/push/subscriptions": {
    as: alice,
    request: () => fc.oneof(fc.constant({ body: { endpoint: "https://push.example.com/fz/1" } }), jsonBody(z.object({ endpoint: z.string() }))).map((b) => ({ path: "/v1/push/subscriptions", ...b })),
  },
  "GET /v1/admin/users": { as: (w) => w.root, request: () => fc.constant({ path: "/v1/admin/users" }) },
  "POST /v1/admin/users/:id/lock": {
    as: (w) => w.root,
    request: (w) => fc.tuple(param(w.victim.id), jsonBody(P.LockBody)).map(([id, b]) => ({ path: `/v1/admin/users/${id}/lock`, ...b })),
  },
  // Cluster mode moves the conversation (the sandbox too: it must keep answering); elsewhere 400.
  "POST /v1/admin/conversations/:id/home": {
    as: (w) => w.root,
    request: (w) =>
      fc.tuple(conv(w), jsonBody(z.object({ region: z.string().regex(/^[a-z0-9-]{1,32}$/) }), { region: fc.constantFrom("a", "b", "nowhere") })).map(([id, b]) => ({
        path: `/v1/admin/conversations/${id}/home`,
        ...b,
      })),
  },
  // The same for a user's inbox (cluster mode moves it; elsewhere 400).
  "POST /v1/admin/users/:id/home": {
    as: (w) => w.root,
    request: (w) =>
      fc.tuple(param(w.victim.id), jsonBody(z.object({ region: z.string().regex(/^[a-z0-9-]{1,32}$/) }), { region: fc.constantFrom("a", "b", "nowhere") })).map(([id, b]) => ({
        path: `/v1/admin/users/${id}/home`,
        ...b,
      })),
  },
  "POST /v1/admin/users/:id/unlock": { as: (w) => w.root, request: (w) => param(w.victim.id).map((id) => ({ path: `/v1/admin/users/${id}/unlock` })) },
  // The throwaway victim's own account: a generated password is (almost surely) wrong, so 403 and nothing changes.
  "POST /v1/me/password": { as: (w) => w.victim, request: () => jsonBody(P.ChangePasswordBody).map((b) => ({ path: "/v1/me/password", ...b })) },
  "DELETE /v1/me": { as: (w) => w.victim, request: () => jsonBody(P.DeleteAccountBody).map((b) => ({ path: "/v1/me", ...b })) },
  "POST /v1/admin/users/:id/deactivate": { as: (w) => w.root, request: (w) => param(w.victim.id).map((id) => ({ path: `/v1/admin/users/${id}/deactivate` })) },
  "POST /v1/admin/users/:id/reactivate": { as: (w) => w.root, request: (w) => param(w.victim.id).map((id) => ({ path: `/v1/admin/users/${id}/reactivate` })) },
  "POST /v1/admin/users/:id/reset-password": {
    as: (w) => w.root,
    request: (w) => param(w.victim.id).map((id) => ({ path: `/v1/admin/users/${id}/reset-password` })),
    async readBack(w, _req, res) {
      expect(typeof res.body.temporaryPassword).toBe("string");
      const audit = await w.root.must("GET", "/v1/admin/audit?limit=1");
      expect(audit.actions[0].action).toBe("reset_password");
    },
  },
  "GET /v1/admin/audit": { as: (w) => w.root, request: () => query(P.AuditQuery).map((q) => ({ path: "/v1/admin/audit", query: q })) },
};
