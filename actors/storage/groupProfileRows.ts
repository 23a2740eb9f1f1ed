/**
 * Where a loading conversation finds its group picture and description: in the newest `profile`
 * event of its log (actors/conversation/groupProfile.ts), read through a partial index that holds
 * those events only (conversationSchema.ts events_profile), so a long log is not walked.
 */
import type { GroupProfile } from "../../protocol/index.ts";
import type { Sql } from "./sql.ts";

export async function loadGroupProfile(sql: Pick<Sql, "first">, convId: string): Promise<GroupProfile> {
  const row = await sql.first<{ body: string | null }>(
    "SELECT body FROM events WHERE conv_id = ? AND kind = 'profile' ORDER BY seq DESC LIMIT 1", [convId]);
  if (!row?.body) return {};
  const b = JSON.parse(row.body) as GroupProfile;
  return { ...(b.description ? { description: b.description } : {}), ...(b.picture ? { picture: b.picture } : {}) };
}
