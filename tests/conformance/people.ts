/**
 * People (docs/api.md, "People"), the same on every host: display name and status (validated like
 * every stored string; a refused update changes nothing), avatars resized on the server (a square
 * JPEG of 256 and 64 px, served with a long cache for the current version; non-images, lying types
 * and oversized canvases refused), and the directory (any part of a username or display name,
 * paged, locked accounts left out).
 */
import { describe, expect, test } from "bun:test";
import { imageSize } from "image-size";
import { createJimp } from "@jimp/core";
import png from "@jimp/js-png";
import jpeg from "@jimp/js-jpeg";
import { TINY_PNG } from "../support/images.ts";
import { eventually, useTarget } from "./harness.ts";
import { newClientId } from "../support/client.ts";
import type { TargetFactory } from "./target.ts";

const Jimp = createJimp({ formats: [png, jpeg] });

/** A PNG whose header claims `w`×`h` (the IHDR fields patched; the CRC no longer matches). */
function claimedSize(w: number, h: number): Uint8Array {
  const b = TINY_PNG.slice();
  new DataView(b.buffer).setUint32(16, w);
  new DataView(b.buffer).setUint32(20, h);
  return b;
}

export function peopleTests(factory: TargetFactory): void {
  describe("people", () => {
    const ctx = useTarget(factory);

    test("display name and status: set, read by others, cleared; bad values refused and change nothing", async () => {
      const [ann, ben] = await ctx.users(2, "prof");
      const set = await ann.must("PATCH", "/v1/me/profile", { displayName: "  Ann Élodie Smith ", status: "On holiday 🌴" });
      expect(set).toMatchObject({ id: ann.id, username: ann.username, displayName: "Ann Élodie Smith", status: "On holiday 🌴" });
      expect(await ann.must("GET", "/v1/me")).toMatchObject({ displayName: "Ann Élodie Smith", status: "On holiday 🌴" });
      const seen = (await ben.must("GET", `/v1/users/profiles?ids=${ann.id},${ben.id},u_nobody123456`)).users;
      expect(seen.map((u: any) => [u.username, u.displayName ?? null]).sort()).toEqual([[ann.username, "Ann Élodie Smith"], [ben.username, null]].sort());

      for (const bad of [
        { displayName: "x".repeat(65) },
        { displayName: "   " },
        { displayName: "a\u0000b" },
        { displayName: "two\nlines" },
        { displayName: "\ud800" },
        { status: "s".repeat(81) },
        { status: "tab\there" },
        { nickname: "extra field" },
        {},
      ]) {
        const r = await ann.api("PATCH", "/v1/me/profile", bad);
        expect(r.status, JSON.stringify(bad)).toBe(400);
        expect(r.body.error.code).toBe("bad_request");
      }
      expect(await ann.must("GET", "/v1/me")).toMatchObject({ displayName: "Ann Élodie Smith", status: "On holiday 🌴" });

      // Only the given field changes; null / "" clear.
      expect(await ann.must("PATCH", "/v1/me/profile", { status: "" })).not.toHaveProperty("status");
      const cleared = await ann.must("PATCH", "/v1/me/profile", { displayName: null });
      expect(cleared).not.toHaveProperty("displayName");
      expect(cleared.username).toBe(ann.username);
    });

    test("avatar: resized to square 256 and 64 px JPEGs, cached by version, replaced and removed; bad images refused", async () => {
      const [cat, dan] = await ctx.users(2, "avat");
      // A 300×120 PNG with a text chunk standing in for metadata: the stored copies are square and carry none.
      const wide = new Jimp({ width: 300, height: 120, color: 0xcc3344ff });
      const bytes = new Uint8Array(await wide.getBuffer("image/png"));
      const put = await cat.nexus.request("PUT", "/v1/me/avatar", bytes, cat.token, { "content-type": "application/octet-stream" });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      const v1 = put.body.avatar as string;
      expect(typeof v1).toBe("string");
      for (const size of [256, 64]) {
        const res = await fetch(new URL(`/v1/users/${cat.id}/avatar?size=${size}&v=${v1}`, ctx.nx.baseUrl), { headers: { authorization: `Bearer ${dan.token}` } });
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toBe("image/jpeg");
        expect(res.headers.get("cache-control")).toContain("immutable");
        const img = new Uint8Array(await res.arrayBuffer());
        expect(imageSize(img)).toMatchObject({ width: size, height: size, type: "jpg" });
        // The centre of a solid red-ish image stays that colour (cropped, not letterboxed).
        const decoded = await Jimp.fromBuffer(img.buffer as ArrayBuffer);
        const { r, g, b } = intToRgba(decoded.getPixelColor(size / 2, size / 2));
        expect(r).toBeGreaterThan(170);
        expect(g).toBeLessThan(90);
        expect(b).toBeLessThan(100);
      }
      const unversioned = await fetch(new URL(`/v1/users/${cat.id}/avatar`, ctx.nx.baseUrl), { headers: { authorization: `Bearer ${dan.token}` } });
      expect(unversioned.headers.get("cache-control")).toContain("no-cache");
      expect(imageSize(new Uint8Array(await unversioned.arrayBuffer()))).toMatchObject({ width: 256, height: 256 });

      // Refused, and the avatar stays: not an image, a type the bytes do not have, a huge canvas, empty.
      for (const [body, type] of [
        [new TextEncoder().encode("<svg xmlns='http://www.w3.org/2000/svg'/>"), "image/svg+xml"],
        [new TextEncoder().encode("just text, called a png"), "image/png"],
        [claimedSize(20_000, 20_000), "image/png"],
        [new Uint8Array(0), "image/png"],
      ] as const) {
        const r = await cat.nexus.request("PUT", "/v1/me/avatar", body, cat.token, { "content-type": type });
        expect(r.status, type).toBe(400);
      }
      expect((await cat.must("GET", "/v1/me")).avatar).toBe(v1);

      const second = await cat.nexus.request("PUT", "/v1/me/avatar", TINY_PNG, cat.token, { "content-type": "image/png" });
      expect(second.status).toBe(200);
      expect(second.body.avatar).not.toBe(v1);
      const removed = await cat.must("DELETE", "/v1/me/avatar");
      expect(removed).not.toHaveProperty("avatar");
      expect((await dan.api("GET", `/v1/users/${cat.id}/avatar?size=64`)).status).toBe(404);
    });

    test("a deleted account shows no profile: display name, status and avatar are gone for everyone; it says deleted", async () => {
      const [eve, fay] = await ctx.users(2, "gone");
      await eve.must("PATCH", "/v1/me/profile", { displayName: "Eve Leaving", status: "bye" });
      const put = await eve.nexus.request("PUT", "/v1/me/avatar", TINY_PNG, eve.token, { "content-type": "image/png" });
      expect(put.status).toBe(200);
      expect((await eve.api("DELETE", "/v1/me", { password: eve.password })).status).toBeLessThan(300);
      const seen = (await fay.must("GET", `/v1/users/profiles?ids=${eve.id}`)).users;
      expect(seen).toHaveLength(1);
      expect(seen[0].deleted).toBe(true); // clients show "Deleted user", not the old name
      expect(seen[0]).not.toHaveProperty("displayName");
      expect(seen[0]).not.toHaveProperty("status");
      expect(seen[0]).not.toHaveProperty("avatar");
      expect((await fay.api("GET", `/v1/users/${eve.id}/avatar?size=64&v=${put.body.avatar}`)).status).toBe(404);
      expect((await fay.must("GET", "/v1/users/directory?q=eve%20leaving")).users).toEqual([]);
    });

    test("deleting an account erases its avatar's bytes from the blob store, not only from view", async () => {
      const [gus, hana] = await ctx.users(2, "erase");
      const put = await gus.nexus.request("PUT", "/v1/me/avatar", TINY_PNG, gus.token, { "content-type": "image/png" });
      expect(put.status).toBe(200);
      const prefix = `avatars/${gus.id}.`;
      const stored = ctx.target.blobKeys ? () => ctx.target.blobKeys!(prefix) : undefined;
      if (stored) expect((await stored()).sort()).toEqual([`${prefix}${put.body.avatar}.256`, `${prefix}${put.body.avatar}.64`]);
      expect((await gus.api("DELETE", "/v1/me", { password: gus.password })).status).toBe(204);
      for (const size of [64, 256]) expect((await hana.api("GET", `/v1/users/${gus.id}/avatar?size=${size}&v=${put.body.avatar}`)).status).toBe(404);
      if (stored) expect(await stored()).toEqual([]);
    });

    test("a profile change is announced at once to contacts' and the user's own inbox sockets; strangers hear nothing", async () => {
      const [gil, hal, ivy] = await ctx.users(3, "annc");
      const dm = await gil.createDirect(hal);
      for (const who of [gil, hal]) await who.must("POST", `/v1/conversations/${dm.id}/messages`, { clientId: newClientId("an"), text: "hi" }, 201);
      expect(await eventually(async () => (await hal.must("GET", `/v1/presence?userIds=${gil.id}`)).presence.length === 1)).toBe(true);
      const [halInbox, gilInbox, ivyInbox] = await Promise.all([hal, gil, ivy].map((s) => s.openInbox()));
      for (const sock of [halInbox, gilInbox, ivyInbox]) await sock.next("inbox");
      const announced = (f: any) => f.t === "presence" && f.p.userId === gil.id && typeof f.p.profile === "number";

      await gil.must("PATCH", "/v1/me/profile", { displayName: "Gil Announced" });
      const first = await halInbox.next(announced);
      await gilInbox.next(announced); // their own other screens
      const put = await gil.nexus.request("PUT", "/v1/me/avatar", TINY_PNG, gil.token, { "content-type": "image/png" });
      expect(put.status).toBe(200);
      const second = await halInbox.next((f: any) => announced(f) && f !== first);
      expect(second.p.profile).toBeGreaterThanOrEqual(first.p.profile);
      // A refused change announces nothing; a stranger hears nothing at all.
      expect((await gil.api("PATCH", "/v1/me/profile", { displayName: "" })).status).toBe(400);
      await new Promise((r) => setTimeout(r, 300));
      expect(halInbox.all(announced)).toHaveLength(2);
      expect(ivyInbox.all((f: any) => f.t === "presence" && f.p.userId === gil.id)).toEqual([]);
    });

    test("directory: any part of a username or display name, paged, locked accounts left out", async () => {
      const [a, b, c, d] = await ctx.users(4, "dirx");
      await b.must("PATCH", "/v1/me/profile", { displayName: "Zoë Quartermaine" });
      await c.must("PATCH", "/v1/me/profile", { displayName: "Carl Quarry" });
      const find = async (q: string, extra = "") => (await a.must("GET", `/v1/users/directory?q=${encodeURIComponent(q)}${extra}`)) as { users: any[]; next: string | null };

      // The middle of a username (the old search matched only its start).
      const mid = a.username.slice(2, 8); // "rx0_" and a bit: no other user has it
      expect((await find(mid)).users.map((u) => u.id)).toEqual([a.id]);
      // Any part of a display name, case-insensitive, non-ASCII too.
      expect((await find("QUART")).users.map((u) => u.id)).toEqual([b.id]);
      expect((await find("zoë")).users.map((u) => u.id)).toEqual([b.id]);
      expect((await find("quar")).users.map((u) => u.id).sort()).toEqual([b.id, c.id].sort());

      // Paging: one at a time through the four, in username order, each exactly once.
      const seen: string[] = [];
      let after = "";
      for (let i = 0; i < 10; i++) {
        const page = await find("dirx", `&limit=1${after ? `&after=${encodeURIComponent(after)}` : ""}`);
        seen.push(...page.users.map((u) => u.username));
        if (!page.next) break;
        after = page.next;
      }
      expect(seen).toEqual([a, b, c, d].map((s) => s.username).sort());

      // A locked account is not listed; unlocked, it is again.
      expect((await ctx.root.api("POST", `/v1/admin/users/${d.id}/lock`, {})).status).toBe(204);
      expect((await find("dirx")).users.map((u) => u.id)).not.toContain(d.id);
      expect((await ctx.root.api("POST", `/v1/admin/users/${d.id}/unlock`, {})).status).toBe(204);
      expect((await find("dirx")).users.map((u) => u.id)).toContain(d.id);

      for (const bad of ["?q=" + "x".repeat(65), "?q=a&limit=0", "?q=a&limit=51"]) expect((await a.api("GET", `/v1/users/directory${bad}`)).status).toBe(400);
    });
  });
}

function intToRgba(n: number): { r: number; g: number; b: number } {
  return { r: (n >>> 24) & 255, g: (n >>> 16) & 255, b: (n >>> 8) & 255 };
}
