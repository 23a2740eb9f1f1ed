/**
 * Two isolates of the real Worker in one workerd, sharing every Durable Object (twoIsolates.ts):
 * what must hold across isolates does. Usernames stay unique across directory shards under
 * concurrent sign-ups through both isolates; the first registered user is the only admin; rate limits
 * (per IP and per user) are one budget, not one per isolate; a sign-up's request.cf becomes the
 * home in the user id.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DEFAULT_PASSWORD, uniqueName } from "../support/client.ts";
import { json, startTwoIsolates, type TwoIsolates } from "./twoIsolates.ts";

const AUTH_LIMIT = 8;
const REST_LIMIT = 12;
let w: TwoIsolates;

beforeAll(async () => {
  w = await startTwoIsolates({
    NEXUS_DIRECTORY_SHARDS: "16",
    AUTH_RATE_LIMIT_PER_MINUTE: String(AUTH_LIMIT),
    RATE_LIMIT_PER_MINUTE: String(REST_LIMIT),
  });
}, 60_000);

afterAll(async () => {
  await w?.stop();
}, 30_000);

/** Each test uses its own client address, so the per-IP auth budget of one does not touch another. */
let ipCounter = 0;
const newIp = () => `198.51.100.${++ipCounter}`;
const register = (which: "a" | "b", username: string, ip: string) =>
  w.fetch(which, "/v1/auth/register", json({ username, password: DEFAULT_PASSWORD }, { "cf-connecting-ip": ip }));
const registerFrom = (cf: Record<string, unknown>) =>
  w.fetchWithCf("/v1/auth/register", json({ username: uniqueName("home"), password: DEFAULT_PASSWORD }, { "cf-connecting-ip": newIp() }), cf);

describe("across isolates and directory shards", () => {
  test("the first registered user is the only admin, whichever shard and isolate", async () => {
    const ip = newIp();
    const names = Array.from({ length: 6 }, () => uniqueName("first"));
    const res = await Promise.all(names.map((n, i) => register(i % 2 ? "a" : "b", n, i < 3 ? ip : newIp())));
    const bodies = (await Promise.all(res.map((r) => r.json()))) as any[];
    expect(res.map((r) => r.status)).toEqual(names.map(() => 201));
    expect(bodies.filter((b) => b.user.role === "admin").length).toBe(1);
    // They landed in more than one shard (the id names it), so the admin claim crossed shards.
    expect(new Set(bodies.map((b) => /^u(\d+)/.exec(b.user.id)![1])).size).toBeGreaterThan(1);
    // The admin's user list gathers every shard.
    const admin = bodies.find((b) => b.user.role === "admin");
    const list = await w.fetch("b", "/v1/admin/users", { headers: { authorization: `Bearer ${admin.accessToken}`, "cf-connecting-ip": newIp() } });
    expect(list.status).toBe(200);
    const listed = ((await list.json()) as any).users.map((u: any) => u.username);
    for (const n of names) expect(listed).toContain(n);
  });

  test("concurrent sign-ups of one name through both isolates: exactly one wins, the rest are 409", async () => {
    for (let round = 0; round < 3; round++) {
      const name = uniqueName("same");
      const res = await Promise.all(Array.from({ length: 6 }, (_, i) => register(i % 2 ? "a" : "b", name, newIp())));
      expect(res.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    }
  });

  test("login, search and the admin list work across shards", async () => {
    const ip = newIp();
    const prefix = uniqueName("srch").slice(0, 10);
    const names = [`${prefix}a`, `${prefix}b`, `${prefix}c`, `${prefix}d`];
    for (const n of names) expect((await register("a", n, newIp())).status).toBe(201);
    const login = await w.fetch("b", "/v1/auth/login", json({ username: names[2], password: DEFAULT_PASSWORD }, { "cf-connecting-ip": ip }));
    expect(login.status).toBe(200);
    const { accessToken, refreshToken } = (await login.json()) as any;
    const auth = { authorization: `Bearer ${accessToken}`, "cf-connecting-ip": ip };
    const found = (await (await w.fetch("a", `/v1/users?q=${prefix}`, { headers: auth })).json()) as any;
    expect(found.users.map((u: any) => u.username)).toEqual(names);
    // The refresh token names its shard; it rotates through the other isolate.
    const refreshed = await w.fetch("a", "/v1/auth/refresh", json({ refreshToken }, { "cf-connecting-ip": ip }));
    expect(refreshed.status).toBe(200);
  });

  test("a sign-up's request.cf becomes the user's home, written into the user id", async () => {
    const fr = await registerFrom({ continent: "EU", country: "FR", colo: "CDG" });
    const jp = await registerFrom({ continent: "AS", country: "JP", colo: "NRT" });
    const none = await registerFrom({});
    expect(((await fr.json()) as any).user.id).toMatch(/^u\d+-weur_/);
    expect(((await jp.json()) as any).user.id).toMatch(/^u\d+-apac_/);
    expect(((await none.json()) as any).user.id).toMatch(/^u\d+_/);
  });

  test("the per-IP auth limit is one budget across both isolates", async () => {
    const ip = newIp();
    const statuses: number[] = [];
    for (let i = 0; i < AUTH_LIMIT * 2; i++) {
      const r = await w.fetch(i % 2 ? "a" : "b", "/v1/auth/login", json({ username: "nobody-here", password: "wrong-password" }, { "cf-connecting-ip": ip }));
      statuses.push(r.status);
    }
    expect(statuses.filter((s) => s !== 429).length).toBe(AUTH_LIMIT);
    expect(statuses.slice(AUTH_LIMIT)).toEqual(Array(AUTH_LIMIT).fill(429));
  });

  test("the per-user REST limit is one budget across both isolates (and IPs)", async () => {
    const r = await register("a", uniqueName("limited"), newIp());
    const { accessToken } = (await r.json()) as any;
    const statuses: number[] = [];
    for (let i = 0; i < REST_LIMIT * 2; i++) {
      const res = await w.fetch(i % 2 ? "a" : "b", "/v1/me", { headers: { authorization: `Bearer ${accessToken}`, "cf-connecting-ip": newIp() } });
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 200).length).toBe(REST_LIMIT);
    expect(statuses.slice(REST_LIMIT)).toEqual(Array(REST_LIMIT).fill(429));
  });
});
