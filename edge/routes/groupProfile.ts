/**
 * A group's picture and description (docs/api.md, "Group picture and description"):
 *   PATCH  /v1/conversations/:id/description  { description } ("" removes it)
 *   PUT    /v1/conversations/:id/picture      image bytes → square 256 px and 64 px JPEGs in the blob store
 *   DELETE /v1/conversations/:id/picture      back to initials
 *   GET    /v1/conversations/:id/picture      ?size=64|256&v=<version>, members only
 * The conversation actor decides who may (group admins) and logs each change as a `profile` event;
 * the edge only makes and stores the picture's bytes, as for user avatars (profiles.ts).
 */
import { Hono } from "hono";
import { z } from "zod";
import { AvatarQuery, ConversationId, GroupDescriptionBody, NexusError, isNexusError, type ConversationInfo } from "../../protocol/index.ts";
import { randomId } from "../../protocol/ids.ts";
import type { Caller } from "../../actors/ports.ts";
import type { Host } from "../host.ts";
import type { AppEnv } from "../middleware/env.ts";
import { validate } from "../middleware/validate.ts";
import { callerOf } from "./callerOf.ts";
import { deletePicture, readPicture, servePicture, storePicture } from "./pictures.ts";

/** Blob keys of group pictures: one folder (actors/storage/attachmentSweep.ts PICTURE_FOLDERS skips it). */
export const GROUP_PICTURE_FOLDER = "group-pictures";
export const groupPictureKey = (conversationId: string, version: string, size: number) => `${GROUP_PICTURE_FOLDER}/${conversationId}.${version}.${size}`;
export const isGroupPicturePath = (path: string) => /^\/v1\/conversations\/[^/]+\/picture$/.test(path);

const IdParam = z.object({ id: ConversationId });
/** Refusals mean nothing was committed, so the stored bytes may go; any other failure may have
 *  committed (an unknown outcome), so they stay (unreferenced bytes at worst). */
const REFUSALS = new Set(["forbidden", "bad_request", "conflict", "not_member", "not_found"]);

export function groupProfileRoutes(deps: Host): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const conv = (id: string) => deps.actors.conversation(id);
  const keys = (id: string, version: string) => (size: number) => groupPictureKey(id, version, size);

  /** The group as the caller sees it, refused before any image work unless they are its admin
   *  (the actor checks again when it commits: a role may change meanwhile). */
  async function asAdmin(id: string, caller: Caller): Promise<ConversationInfo> {
    const info = await conv(id).info(caller);
    if (info.type !== "group") throw new NexusError("bad_request", "direct conversations have no picture or description");
    if (info.members.find((m) => m.userId === caller.userId)?.role !== "admin")
      throw new NexusError("forbidden", "only group admins may change the group picture or description");
    return info;
  }

  r.patch("/v1/conversations/:id/description", validate("param", IdParam), validate("json", GroupDescriptionBody), async (c) =>
    c.json(await conv(c.req.valid("param").id).setGroupProfile(callerOf(c), { description: c.req.valid("json").description })));

  r.put("/v1/conversations/:id/picture", validate("param", IdParam), async (c) => {
    const { id } = c.req.valid("param");
    const caller = callerOf(c);
    const before = await asAdmin(id, caller);
    const made = await readPicture(c, deps, caller.userId, "group picture");
    const version = randomId("v", 10);
    // Bytes first, then the event names them: no member ever sees a version without bytes.
    await storePicture(deps.blobs, made, keys(id, version));
    let seq: number;
    try {
      seq = (await conv(id).setGroupProfile(caller, { picture: version })).seq;
    } catch (e) {
      if (isNexusError(e) && REFUSALS.has(e.code)) await deletePicture(deps.blobs, keys(id, version));
      throw e;
    }
    if (before.picture) await deletePicture(deps.blobs, keys(id, before.picture));
    return c.json({ seq, picture: version });
  });

  r.delete("/v1/conversations/:id/picture", validate("param", IdParam), async (c) => {
    const { id } = c.req.valid("param");
    const caller = callerOf(c);
    const before = await asAdmin(id, caller);
    const done = await conv(id).setGroupProfile(caller, { picture: null });
    if (before.picture) await deletePicture(deps.blobs, keys(id, before.picture));
    return c.json(done);
  });

  r.get("/v1/conversations/:id/picture", validate("param", IdParam), validate("query", AvatarQuery), async (c) => {
    const { id } = c.req.valid("param");
    const q = c.req.valid("query");
    const { picture } = await conv(id).info(callerOf(c)); // members only
    if (!picture) throw new NexusError("not_found", "no group picture");
    return servePicture(deps.blobs, groupPictureKey(id, picture, Number(q.size)), picture, q.size, q.v, "group picture");
  });

  return r;
}
