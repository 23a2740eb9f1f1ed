import { z } from "zod";
import { storableText } from "./storableText.ts";

/**
 * A group's picture and description (docs/api.md, "Group picture and description"). Only group
 * admins change them, and each change is a `profile` event in the conversation's log, so it replays
 * on resume and reaches every member's list like a rename. The event carries both values as they
 * are after the change: the newest `profile` event is the group's profile.
 */
export const MAX_GROUP_DESCRIPTION = 500;

/** Plain text, trimmed, up to 500 characters; line breaks allowed, other control characters not.
 *  Empty removes the description. */
export const GroupDescription = storableText("description")
  .trim()
  .max(MAX_GROUP_DESCRIPTION, `description: at most ${MAX_GROUP_DESCRIPTION} characters`)
  .refine((s) => !/[\u0000-\u0009\u000b-\u001f\u007f]/.test(s), "description: no control characters but line breaks");

/** A picture version as the server makes it (randomId("v", 10)); it names the stored blobs. */
export const PictureVersion = z.string().regex(/^v_[A-Za-z0-9_-]{8,32}$/, "invalid picture version");

/** PATCH /v1/conversations/:id/description */
export const GroupDescriptionBody = z.object({ description: GroupDescription }).strict();

/** What an admin changes, as the conversation actor takes it: the description ("" removes it), or
 *  the picture (a version already stored by the edge; null removes it). */
export const GroupProfileChange = z.union([
  z.object({ description: GroupDescription }).strict(),
  z.object({ picture: PictureVersion.nullable() }).strict(),
]);
export type GroupProfileChange = z.infer<typeof GroupProfileChange>;

/** The group's profile now: absent fields are unset. */
export interface GroupProfile {
  description?: string;
  picture?: string;
}
