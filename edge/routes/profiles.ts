/**
 * People: profiles, avatars and the directory (docs/api.md, "People"). A change is announced to
 * the screens that show the user (announceProfile).
 *   PATCH  /v1/me/profile            display name and status
 *   PUT    /v1/me/avatar             image bytes → square 256 px and 64 px JPEGs in the blob store
 *   DELETE /v1/me/avatar             back to initials
 *   GET    /v1/users/:id/avatar      ?size=64|256&v=<version> (immutable when v is current)
 *   GET    /v1/users/profiles        ?ids=a,b (who is in my conversations: names, status, avatar)
 *   GET    /v1/users/directory       ?q=&after=&limit= (any part of a username or display name)
 */
import { Hono } from "hono";
import { z } from "zod";
import { NexusError } from "../../protocol/errors.ts";
import { randomId } from "../../protocol/ids.ts";
import { AvatarQuery, DirectoryQuery, ProfileBody, ProfilesQuery } from "../../protocol/rest.ts";
import type { Host } from "../host.ts";
import type { AppEnv } from "../middleware/env.ts";
import { validate } from "../middleware/validate.ts";
import { callerOf } from "./callerOf.ts";
import { deletePicture, erasePicture, readPicture, servePicture, storePicture } from "./pictures.ts";

export const AVATAR_PATH = "/v1/me/avatar";

/** Blob keys of an avatar: one folder for all avatars (the Bun sweep skips it: it is not an upload). */
export const AVATAR_FOLDER = "avatars";
export const avatarKey = (userId: string, version: string, size: number) => `${AVATAR_FOLDER}/${userId}.${version}.${size}`;

const UserIdParam = z.object({ id: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, "invalid user id") });

export function profileRoutes(deps: Host): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.patch("/v1/me/profile", validate("json", ProfileBody), async (c) => {
    const body = c.req.valid("json");
    const user = await deps.accounts.updateProfile(callerOf(c).userId, {
      ...(body.displayName !== undefined ? { displayName: body.displayName } : {}),
      ...(body.status !== undefined ? { status: body.status || null } : {}),
    });
    if (!user) throw new NexusError("not_found", "your account no longer exists");
    await announceProfile(deps, user.id);
    return c.json(user);
  });

  r.put(AVATAR_PATH, async (c) => {
    const me = callerOf(c).userId;
    const made = await readPicture(c, deps, me, "avatar");
    const previous = await deps.accounts.avatarOf(me);
    const version = randomId("v", 10);
    // Bytes first, then the profile row points at them: a reader never sees a version without bytes.
    await storePicture(deps.blobs, made, (size) => avatarKey(me, version, size));
    const user = await deps.accounts.updateProfile(me, { avatar: version });
    if (!user || user.deleted) {
      // The account's deletion began meanwhile (its token works until its end) and may have erased
      // the avatar already: these bytes, and what the row now names, would be left behind.
      await deleteAvatar(deps, me, version);
      if (user) await eraseProfile(deps, me);
      throw new NexusError("not_found", "your account no longer exists");
    }
    if (previous) await deleteAvatar(deps, me, previous);
    await announceProfile(deps, me);
    return c.json(user);
  });

  r.delete(AVATAR_PATH, async (c) => {
    const me = callerOf(c).userId;
    const previous = await deps.accounts.avatarOf(me);
    const user = await deps.accounts.updateProfile(me, { avatar: null });
    if (!user) throw new NexusError("not_found", "your account no longer exists");
    if (previous) await deleteAvatar(deps, me, previous);
    await announceProfile(deps, me);
    return c.json(user);
  });

  r.get("/v1/users/profiles", validate("query", ProfilesQuery), async (c) => {
    return c.json({ users: await deps.accounts.profiles([...new Set(c.req.valid("query").ids)]) });
  });

  r.get("/v1/users/directory", validate("query", DirectoryQuery), async (c) => {
    const q = c.req.valid("query");
    // One more than asked tells whether there is a next page.
    const found = await deps.accounts.directory(q.q, q.after ?? "", q.limit + 1);
    const users = found.slice(0, q.limit);
    return c.json({ users, next: found.length > q.limit ? users[users.length - 1]!.username : null });
  });

  r.get("/v1/users/:id/avatar", validate("param", UserIdParam), validate("query", AvatarQuery), async (c) => {
    const { id } = c.req.valid("param");
    const q = c.req.valid("query");
    const version = await deps.accounts.avatarOf(id);
    if (!version) throw new NexusError("not_found", "no avatar");
    return servePicture(deps.blobs, avatarKey(id, version, Number(q.size)), version, q.size, q.v, "avatar");
  });

  return r;
}

/** The screens that show this user (their contacts', their own other devices) re-read the profile
 *  now (InboxActor.profileChanged). Best effort: a failure leaves them to their periodic refresh. */
export async function announceProfile(deps: Host, userId: string): Promise<void> {
  await deps.actors.inbox(userId).profileChanged({ userId }).catch((e) => console.error(`[profiles] ${userId}: change not announced`, e));
}

function deleteAvatar(deps: Host, userId: string, version: string): Promise<void> {
  return deletePicture(deps.blobs, (size) => avatarKey(userId, version, size));
}

/**
 * A deleting account's profile (DELETE /v1/me), no longer served since the deletion began: its
 * avatar's bytes (every size), then the avatar version, display name and status in the row. In that
 * order, so a failed attempt leaves the version for the retry to find; it throws rather than leave
 * bytes of a deleted account behind.
 */
export async function eraseProfile(deps: Host, userId: string): Promise<void> {
  const version = await deps.accounts.storedAvatarOf(userId);
  if (version) await erasePicture(deps.blobs, (size) => avatarKey(userId, version, size));
  await deps.accounts.updateProfile(userId, { avatar: null, displayName: null, status: null });
}
