/**
 * The authorization matrix (issue #18): every route and client frame × every kind of caller × the
 * answer docs/api.md and docs/protocol.md promise. authzMatrix.test.ts reads this table, builds each
 * request against a fixture (authzFixture.ts) and fails when the app has a route or frame type with
 * no row here.
 *
 * Callers, all relative to one group G (created by `groupAdmin`):
 *  anonymous    no token (sockets: a forged ticket)
 *  nonMember    a plain user in nothing
 *  member       a plain member of G
 *  author       a plain member of G who wrote the message the row acts on
 *  groupAdmin   G's creator (role admin in G)
 *  accountAdmin the first account (role admin), not a member of G
 *  removed      was a member of G, removed by groupAdmin
 *  locked       a member of G whose account an account admin locked (its old token and ticket)
 *
 * Answers: an HTTP status; for sockets "welcome" or "refused" (handshake 4xx or close 4003/4004
 * before any welcome); for frames the reply: "ack", "pong", "history", "none" (nothing but the
 * pong that follows), an error code, or "refused" when that caller cannot open the socket at all.
 * "hidden" (presence): 200 without the asked user's presence.
 *
 * `item`: rows where the code disagreed with the docs when the row was written; the row states the
 * docs, the number is the item of issue #18 that fixes it (so a failing row is easy to place).
 */
export const CALLERS = ["anonymous", "nonMember", "member", "author", "groupAdmin", "accountAdmin", "removed", "locked"] as const;
export type Caller = (typeof CALLERS)[number];
export type Answer = number | string;

export interface Row {
  /** "METHOD /path" as the app registers it, "conversation frame <t>" or "inbox frame <t>". */
  route: string;
  /** Several rows for one route when the target changes the answer (e.g. removing oneself). */
  variant?: string;
  expect: Record<Caller, Answer>;
  item?: number;
}

/** Everyone who holds a valid token gets `ok`; no token 401; a locked account's old token 401. */
const authed = (ok: Answer): Record<Caller, Answer> => ({
  anonymous: 401, nonMember: ok, member: ok, author: ok, groupAdmin: ok, accountAdmin: ok, removed: ok, locked: 401,
});
/** Members of G (member, author, groupAdmin) get `ok`; other signed-in callers `no`. */
const members = (ok: Answer, no: Answer = 403): Record<Caller, Answer> => ({
  anonymous: 401, nonMember: no, member: ok, author: ok, groupAdmin: ok, accountAdmin: no, removed: no, locked: 401,
});
/** Only G's admin gets `ok`. */
const groupAdmins = (ok: Answer): Record<Caller, Answer> => ({ ...members(403), groupAdmin: ok });
/** Only account admins get `ok`. */
const accountAdmins = (ok: Answer): Record<Caller, Answer> => ({ ...authed(403), accountAdmin: ok });
const everyone = (ok: Answer): Record<Caller, Answer> => Object.fromEntries(CALLERS.map((c) => [c, ok])) as Record<Caller, Answer>;
/** Conversation-socket frames: only members connect; the rest are refused at the handshake. */
const frame = (m: Answer, a: Answer = m, g: Answer = m): Record<Caller, Answer> => ({
  anonymous: "refused", nonMember: "refused", member: m, author: a, groupAdmin: g, accountAdmin: "refused", removed: "refused", locked: "refused",
});
/** Inbox frames: every signed-in, unlocked user has an inbox. */
const inbox = (ok: Answer): Record<Caller, Answer> => ({ ...everyone(ok), anonymous: "refused", locked: "refused" });

export const MATRIX: Row[] = [
  // ---- operations (public) ----
  { route: "GET /health", expect: everyone(200) },
  { route: "GET /ready", expect: everyone(200) },
  // Without METRICS_TOKEN: loopback clients only (the test is one), whoever they are (docs/operations.md).
  { route: "GET /metrics", expect: everyone(200) },
  // ---- accounts ----
  { route: "POST /v1/auth/register", expect: everyone(201) },
  // Each caller signs in as themselves; anonymous tries a wrong password; locked: 423.
  { route: "POST /v1/auth/login", expect: { ...everyone(200), anonymous: 401, locked: 423 } },
  // Each caller's own refresh token (locked: revoked by the lock); anonymous: a forged one.
  { route: "POST /v1/auth/refresh", expect: { ...everyone(200), anonymous: 401, locked: 401 } },
  { route: "GET /v1/me", expect: authed(200) },
  { route: "GET /v1/users", expect: authed(200) },
  { route: "GET /v1/users/by-name/:username", expect: authed(200) },
  // Each caller changes their own password (and back): the session they get replaces theirs.
  { route: "POST /v1/me/password", expect: authed(200) },
  // Each caller with a wrong password (nothing is deleted): 403; the only account admin: 409 first.
  { route: "DELETE /v1/me", expect: { ...authed(403), accountAdmin: 409 } },
  // ---- people (profiles, avatars, directory): each caller their own profile ----
  { route: "PATCH /v1/me/profile", expect: authed(200) },
  { route: "PUT /v1/me/avatar", expect: authed(200) },
  { route: "DELETE /v1/me/avatar", expect: authed(200) },
  { route: "GET /v1/users/:id/avatar", expect: authed(200) },
  { route: "GET /v1/users/profiles", expect: authed(200) },
  { route: "GET /v1/users/directory", expect: authed(200) },
  { route: "POST /v1/ws-ticket", expect: authed(200) },
  { route: "GET /v1/ws/conversations/:id", expect: frame("welcome") },
  { route: "GET /v1/ws/inbox", expect: inbox("welcome") },
  // ---- conversations ----
  { route: "GET /v1/conversations", expect: authed(200) },
  // With a plain user nobody else used (docs: one per pair, no consent asked).
  { route: "POST /v1/conversations/direct", expect: authed(200) },
  { route: "POST /v1/conversations", expect: authed(201) },
  { route: "GET /v1/conversations/:id", expect: members(200) },
  { route: "PATCH /v1/conversations/:id", expect: groupAdmins(200) },
  // G's picture and description: its admins change them, its members see the picture.
  { route: "PATCH /v1/conversations/:id/description", expect: groupAdmins(200) },
  { route: "PUT /v1/conversations/:id/picture", expect: groupAdmins(200) },
  { route: "DELETE /v1/conversations/:id/picture", expect: groupAdmins(200) },
  { route: "GET /v1/conversations/:id/picture", expect: members(200) },
  { route: "POST /v1/conversations/:id/members", expect: groupAdmins(200) },
  { route: "DELETE /v1/conversations/:id/members/:userId", variant: "another member", expect: groupAdmins(200) },
  // Leaving: anyone for themselves; G's only admin cannot leave it adminless (409); not a member: 403.
  { route: "DELETE /v1/conversations/:id/members/:userId", variant: "oneself", expect: { ...members(200), groupAdmin: 409 } },
  { route: "PATCH /v1/conversations/:id/members/:userId", expect: groupAdmins(200) },
  { route: "GET /v1/conversations/:id/messages", expect: members(200) },
  { route: "POST /v1/conversations/:id/messages", expect: members(201) },
  // A fresh message by `author`: the author, a group admin, or an account admin deletes.
  { route: "DELETE /v1/conversations/:id/messages/:seq", expect: { ...groupAdmins(200), author: 200, accountAdmin: 200 } },
  { route: "GET /v1/conversations/:id/pins", expect: members(200) },
  // G is a group: only its admins pin (a fresh message each time, so none is pinned already).
  { route: "POST /v1/conversations/:id/pins", expect: groupAdmins(201) },
  // Threads: any member reads, follows and marks read a thread of G.
  { route: "GET /v1/conversations/:id/threads/:seq", expect: members(200) },
  { route: "PUT /v1/conversations/:id/threads/:seq/follow", expect: members(200) },
  { route: "POST /v1/conversations/:id/threads/:seq/read", expect: members(200) },
  // Scoped to G: members only (unscoped, anyone searches their own conversations).
  { route: "GET /v1/search", expect: members(200) },
  // ---- attachments, calls, presence ----
  { route: "POST /v1/attachments", expect: members(201) },
  { route: "GET /v1/conversations/:id/attachments/:attachmentId", expect: members(200), item: 6 },
  // A store that cannot sign URLs (the Bun host's disk): the presigned routes answer 404 to everyone
  // signed in; the download falls back to the bytes, members only.
  { route: "POST /v1/conversations/:id/attachments/upload-url", expect: authed(404) },
  { route: "POST /v1/conversations/:id/attachments/:attachmentId/confirm", expect: authed(404) },
  { route: "GET /v1/conversations/:id/attachments/:attachmentId/download", expect: members(200), item: 6 },
  { route: "GET /v1/calls/ice", expect: authed(200) },
  // groupAdmin's presence: only people sharing a conversation with them see it.
  { route: "GET /v1/presence", expect: { ...members(200, "hidden"), removed: "hidden" } },
  // ---- notification settings and Web Push: each caller's own (docs/api.md "Notifications") ----
  { route: "GET /v1/me/notifications", expect: authed(200) },
  // G in the caller's own list: members only; anyone else has no such row (404).
  { route: "PUT /v1/me/notifications/conversations/:id", expect: members(200, 404) },
  { route: "PUT /v1/me/notifications/dnd", expect: authed(200) },
  { route: "GET /v1/push/key", expect: authed(200) },
  { route: "POST /v1/push/subscriptions", expect: authed(204) },
  { route: "GET /v1/push/subscriptions", expect: authed(200) },
  { route: "DELETE /v1/push/subscriptions", expect: authed(204) },
  // ---- account administration ----
  { route: "GET /v1/admin/users", expect: accountAdmins(200) },
  { route: "POST /v1/admin/users/:id/lock", expect: accountAdmins(204) },
  { route: "POST /v1/admin/users/:id/unlock", expect: accountAdmins(204) },
  { route: "POST /v1/admin/users/:id/deactivate", expect: accountAdmins(204) },
  { route: "POST /v1/admin/users/:id/reactivate", expect: accountAdmins(204) },
  { route: "POST /v1/admin/users/:id/reset-password", expect: accountAdmins(200) },
  { route: "GET /v1/admin/audit", expect: accountAdmins(200) },
  // Moving G's home region: account admins only; the hosts this matrix runs on have no regions (400).
  { route: "POST /v1/admin/conversations/:id/home", expect: accountAdmins(400) },
  // Moving a user's inbox home: the same (#15, inboxes move with their user).
  { route: "POST /v1/admin/users/:id/home", expect: accountAdmins(400) },
  // ---- conversation socket frames (on G) ----
  { route: "conversation frame send", expect: frame("ack") },
  // The author's message: only the author edits, not even a group admin.
  { route: "conversation frame edit", expect: frame("forbidden", "ack", "forbidden") },
  { route: "conversation frame delete", expect: frame("forbidden", "ack", "ack") },
  { route: "conversation frame react", expect: frame("ack") },
  { route: "conversation frame pin", expect: frame("forbidden", "forbidden", "ack") },
  { route: "conversation frame typing", expect: frame("none") },
  { route: "conversation frame read", expect: frame("none") },
  { route: "conversation frame history", expect: frame("history") },
  { route: "conversation frame ping", expect: frame("pong") },
  // G is a group: calls are 1:1, in direct conversations.
  { route: "conversation frame call", expect: frame("bad_request") },
  { route: "conversation frame received", expect: frame("none") },
  // ---- inbox socket frames ----
  { route: "inbox frame presence", expect: inbox("none") },
  { route: "inbox frame ping", expect: inbox("pong") },
  { route: "inbox frame received", expect: inbox("none") },
  // Last: a fix of item 14 may end the caller's access tokens at logout. Each caller logs out a
  // session of their own made for it (locked: its revoked refresh token; anonymous: a forged one):
  // 204 whatever the token (docs/api.md), so logging out twice or late is not an error.
  { route: "POST /v1/auth/logout", expect: everyone(204) },
];
