/**
 * A group's picture and description (docs/api.md, "Group picture and description"), the same on
 * every host: a group admin sets the description and uploads a picture (resized on the server to
 * square 256 and 64 px JPEGs, served to members only, cached by version), members see each change
 * live as a `profile` event and in their conversation list; a member is refused, bad input is
 * refused, and neither changes anything; removing the picture takes it away.
 */
import { describe, expect, test } from "bun:test";
import { imageSize } from "image-size";
import { TINY_PNG } from "../support/images.ts";
import { eventually, useTarget } from "./harness.ts";
import type { TargetFactory } from "./target.ts";

export function groupProfileTests(factory: TargetFactory): void {
  describe("group picture and description", () => {
    const ctx = useTarget(factory);

    test("an admin sets both; members see them live, in info and in their list; others are refused", async () => {
      const [ada, bo, cy] = await ctx.users(3, "gprof");
      const g = await ctx.group(ada, [bo]);
      const { sock } = await bo.join(g.id);
      const path = `/v1/conversations/${g.id}`;

      const d = await ada.must("PATCH", `${path}/description`, { description: "  Route setting, Thursdays.\nAll welcome. " });
      const ev = await sock.next((f: any) => f.t === "event" && f.e.seq === d.seq);
      expect(ev.e).toMatchObject({ kind: "profile", author: ada.id, changed: "description", description: "Route setting, Thursdays.\nAll welcome." });

      const put = await ada.nexus.request("PUT", `${path}/picture`, TINY_PNG, ada.token, { "content-type": "image/png" });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      const version = put.body.picture as string;
      const pev = await sock.next((f: any) => f.t === "event" && f.e.seq === put.body.seq);
      expect(pev.e).toMatchObject({ kind: "profile", changed: "picture", picture: version, description: "Route setting, Thursdays.\nAll welcome." });
      expect(await bo.must("GET", path)).toMatchObject({ picture: version, description: "Route setting, Thursdays.\nAll welcome." });
      expect(await eventually(async () => (await bo.must("GET", "/v1/conversations")).conversations.find((c: any) => c.id === g.id)?.picture === version)).toBe(true);
      for (const size of [256, 64]) {
        const res = await fetch(new URL(`${path}/picture?size=${size}&v=${version}`, ctx.nx.baseUrl), { headers: { authorization: `Bearer ${bo.token}` } });
        expect(res.status).toBe(200);
        expect(res.headers.get("cache-control")).toContain("immutable");
        expect(imageSize(new Uint8Array(await res.arrayBuffer()))).toMatchObject({ width: size, height: size, type: "jpg" });
      }
      // Not a member: neither the picture nor a change.
      expect((await cy.api("GET", `${path}/picture?size=64`)).status).toBe(403);
      expect((await cy.api("PATCH", `${path}/description`, { description: "mine" })).status).toBe(403);

      // A member who is not an admin: refused, nothing changes.
      const before = await ada.must("GET", path);
      expect((await bo.api("PATCH", `${path}/description`, { description: "hijacked" })).status).toBe(403);
      expect((await bo.nexus.request("PUT", `${path}/picture`, TINY_PNG, bo.token, { "content-type": "image/png" })).status).toBe(403);
      expect((await bo.api("DELETE", `${path}/picture`)).status).toBe(403);
      // Bad input from the admin: refused, nothing changes.
      for (const bad of [{ description: "x".repeat(501) }, { description: "a\u0000b" }, { description: 5 }, { description: "ok", extra: 1 }, {}]) {
        const r = await ada.api("PATCH", `${path}/description`, bad);
        expect(r.status, JSON.stringify(bad)).toBe(400);
        expect(r.body.error.code).toBe("bad_request");
      }
      for (const [body, type] of [
        [new TextEncoder().encode("just text, called a png"), "image/png"],
        [new Uint8Array(0), "image/png"],
      ] as const)
        expect((await ada.nexus.request("PUT", `${path}/picture`, body, ada.token, { "content-type": type })).status).toBe(400);
      expect(await ada.must("GET", path)).toEqual(before);

      // Removed: back to initials, the bytes are no longer served; the description stays.
      const del = await ada.must("DELETE", `${path}/picture`);
      const dev = await sock.next((f: any) => f.t === "event" && f.e.seq === del.seq);
      expect(dev.e).toMatchObject({ kind: "profile", changed: "picture" });
      expect(dev.e).not.toHaveProperty("picture");
      const after = await bo.must("GET", path);
      expect(after).not.toHaveProperty("picture");
      expect(after.description).toBe("Route setting, Thursdays.\nAll welcome.");
      expect((await bo.api("GET", `${path}/picture?size=64&v=${version}`)).status).toBe(404);
      // A direct chat has neither.
      const dm = await ada.createDirect(bo);
      expect((await ada.api("PATCH", `/v1/conversations/${dm.id}/description`, { description: "no" })).status).toBe(400);
    });
  });
}
