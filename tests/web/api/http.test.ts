/**
 * The client's HTTP layer against a real server (no browser needed): an expired or bad access
 * token is refreshed once and the request retried; concurrent 401s share one refresh (spending a
 * refresh token twice would revoke the session); a revoked session ends in a cleared Session.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { Api } from "../../../web/src/api/client.ts";
import { ApiError, Http } from "../../../web/src/api/http.ts";
import { Session } from "../../../web/src/api/session.ts";
import { MemoryStore } from "../../../web/src/state/storage.ts";
import { NexusServer, uniqueUser } from "../e2e/harness.ts";

setDefaultTimeout(60_000);
let server: NexusServer;

beforeAll(async () => {
  server = await NexusServer.start();
}, 60_000);
afterAll(async () => {
  await server?.stop();
}, 30_000);

function client() {
  const session = new Session(new MemoryStore());
  return { session, api: new Api(new Http(session, server.url)) };
}

describe("Http", () => {
  test("a rejected access token is refreshed once and the request retried", async () => {
    const { session, api } = client();
    session.set(await api.register(uniqueUser("h"), "password-123"));
    const spent = session.current!.refreshToken;
    session.set({ ...session.current!, accessToken: "not-a-valid-token" });
    const [a, b, c] = await Promise.all([api.me(), api.conversations(), api.me()]);
    expect(a.username).toBe(session.current!.user.username);
    expect(b).toEqual([]);
    expect(c.id).toBe(a.id);
    // One rotation for the three 401s: the new refresh token still works afterwards.
    expect(session.current!.refreshToken).not.toBe(spent);
    expect(await api.http.refresh()).toBe(true);
  });

  test("reusing a spent refresh token ends the session", async () => {
    const { session, api } = client();
    session.set(await api.register(uniqueUser("h"), "password-123"));
    const spent = session.current!.refreshToken;
    expect(await api.http.refresh()).toBe(true);
    session.set({ ...session.current!, accessToken: "bad", refreshToken: spent });
    await expect(api.me()).rejects.toBeInstanceOf(ApiError);
    expect(session.current).toBeNull();
  });

  test("error bodies become ApiError with the protocol code", async () => {
    const { api } = client();
    const err = await api.login("nobody-here", "password-123").catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe("invalid_credentials");
    expect(err.status).toBe(401);
  });
});
