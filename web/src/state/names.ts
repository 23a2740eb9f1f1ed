import type { Row } from "./timeline.ts";

/**
 * A username for someone who is no longer in any member list (they left or were removed): the
 * membership events in the loaded history carry it. A raw user id is never shown to people.
 */
export function usernameInHistory(rows: readonly Row[], userId: string): string | undefined {
  for (let i = rows.length - 1; i >= 0; i--) {
    const r = rows[i]!;
    if (r.kind === "system" && r.event.kind === "member" && r.event.userId === userId) return r.event.username;
  }
  return undefined;
}

/** A deleted account's name everywhere (its profile says `deleted`): never its old name or id. */
export const DELETED_USER = "Deleted user";

/** What to show when even the history does not know the name (not loaded, or long gone). */
export const UNKNOWN_PERSON = "Someone";

/** "1 member", "3 members". */
export const memberCount = (n: number): string => `${n} ${n === 1 ? "member" : "members"}`;
