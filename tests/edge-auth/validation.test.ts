/** Bad input on every account/auth/admin route → 400 bad_request naming the field, and no side effect. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { call, makeHarness, register, type Harness } from "./harness.ts";

let h: Harness;
let admin: Awaited<ReturnType<typeof register>>;
let bob: Awaited<ReturnType<typeof register>>;

beforeAll(async () => {
  h = await makeHarness();
  admin = await register(h, "alice");
  bob = await register(h, "bob");
});
afterAll(async () => h.close());

async function expect400(r: { status: number; body: any }, mentions?: string) {
  expect(r.status).toBe(400);
  expect(r.body.error.code).toBe("bad_request");
  expect(typeof r.body.error.message).toBe("string");
  if (mentions) expect(r.body.error.message).toContain(mentions);
}

describe("register", () => {
  const cases: [string, { body?: unknown; raw?: string }, string?][] = [
    ["uppercase/illegal username", { body: { username: "Bad Name!", password: "long enough pw" } }, "username"],
    ["short username", { body: { username: "ab", password: "long enough pw" } }, "username"],
    ["short password", { body: { username: "carol", password: "short" } }, "password"],
    ["missing password", { body: { username: "carol" } }, "password"],
    ["wrong types", { body: { username: 42, password: ["x"] } }, "username"],
    ["array body", { body: [] }],
    ["Malformed JSON", { raw: "{\"username\": " }, "Malformed JSON"],
    ["empty body", { raw: "" }],
  ];
  for (const [name, opts, mentions] of cases)
    test(`${name} → 400, no user created`, async () => {
      const before = await h.userCount();
      await expect400(await call(h, "POST", "/v1/auth/register", opts), mentions);
      expect(await h.userCount()).toBe(before);
    });

  test("non-JSON content type with a JSON body still validates", async () => {
    const r = await h.app.request("/v1/auth/register", { method: "POST", body: JSON.stringify({ username: "x" }), headers: { "content-type": "text/plain" } });
    expect(r.status).toBe(400);
  });
});

describe("login", () => {
  test("missing fields / oversize / malformed → 400 and no failure counted", async () => {
    await expect400(await call(h, "POST", "/v1/auth/login", { body: { username: "bob" } }), "password");
    await expect400(await call(h, "POST", "/v1/auth/login", { body: { username: "bob", password: "" } }), "password");
    await expect400(await call(h, "POST", "/v1/auth/login", { body: { username: "b".repeat(65), password: "x" } }), "username");
    await expect400(await call(h, "POST", "/v1/auth/login", { raw: "not json" }), "Malformed JSON");
    const users = (await call(h, "GET", "/v1/admin/users", { token: admin.accessToken })).body.users;
    expect(users.find((u: any) => u.username === "bob").failedLogins).toBe(0);
  });
});

describe("login with a username no account can have", () => {
  // An unpaired surrogate has no UTF-8 form: a libSQL server (cluster mode) refused the lookup and
  // login answered 503 storage_unavailable (found by tests/security/fuzz.cluster.test.ts).
  test("NUL or an unpaired surrogate → 400, never reaches storage", async () => {
    for (const username of ["\udc00", "a\ud800b", "a\u0000b"])
      await expect400(await call(h, "POST", "/v1/auth/login", { body: { username, password: "whatever-1" } }), "username");
  });
});

describe("refresh and logout", () => {
  test("bad refreshToken shapes → 400, session intact", async () => {
    for (const body of [{}, { refreshToken: "short" }, { refreshToken: 12345678901 }, { refreshToken: "x".repeat(513) }]) {
      await expect400(await call(h, "POST", "/v1/auth/refresh", { body }), "refreshToken");
      await expect400(await call(h, "POST", "/v1/auth/logout", { body }), "refreshToken");
    }
    const ok = await call(h, "POST", "/v1/auth/refresh", { body: { refreshToken: bob.refreshToken } });
    expect(ok.status).toBe(200);
    bob.refreshToken = ok.body.refreshToken;
  });
});

describe("users", () => {
  test("search: q missing, blank or too long → 400", async () => {
    await expect400(await call(h, "GET", "/v1/users", { token: bob.accessToken }), "q");
    await expect400(await call(h, "GET", "/v1/users?q=%20%20", { token: bob.accessToken }), "q");
    await expect400(await call(h, "GET", `/v1/users?q=${"a".repeat(33)}`, { token: bob.accessToken }), "q");
  });
  test("by-name with an impossible username → 400", async () => {
    await expect400(await call(h, "GET", "/v1/users/by-name/NO%20WAY", { token: bob.accessToken }), "username");
  });
});

describe("admin", () => {
  test("lock with bad minutes / malformed body → 400, user not locked", async () => {
    for (const opts of [{ body: { minutes: -1 } }, { body: { minutes: "ten" } }, { body: { minutes: 1.5 } }, { raw: "{" }]) {
      await expect400(await call(h, "POST", `/v1/admin/users/${bob.user.id}/lock`, { token: admin.accessToken, ...opts }));
    }
    expect((await call(h, "GET", "/v1/me", { token: bob.accessToken })).status).toBe(200);
    const users = (await call(h, "GET", "/v1/admin/users", { token: admin.accessToken })).body.users;
    expect(users.find((u: any) => u.username === "bob").lockedUntil).toBeNull();
  });
  test("oversize user id → 400", async () => {
    const id = "u".repeat(65);
    await expect400(await call(h, "POST", `/v1/admin/users/${id}/lock`, { token: admin.accessToken, body: {} }), "id");
    await expect400(await call(h, "POST", `/v1/admin/users/${id}/unlock`, { token: admin.accessToken }), "id");
  });
  test("lock with no body at all means 'until unlocked'", async () => {
    const carol = await register(h, "carol");
    const r = await h.app.request(`/v1/admin/users/${carol.user.id}/lock`, { method: "POST", headers: { authorization: `Bearer ${admin.accessToken}` } });
    expect(r.status).toBe(204);
    const users = (await call(h, "GET", "/v1/admin/users", { token: admin.accessToken })).body.users;
    expect(users.find((u: any) => u.username === "carol").lockedUntil).toBeGreaterThan(Date.now() + 100 * 365 * 86_400_000);
  });
});

describe("auth header", () => {
  test("malformed Authorization → 401 unauthorized", async () => {
    for (const header of ["Basic abc", "Bearer", "Bearer a b", "bearer not.a.jwt"]) {
      const r = await call(h, "GET", "/v1/me", { headers: { authorization: header } });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe("unauthorized");
    }
  });
});
